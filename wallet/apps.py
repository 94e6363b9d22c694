from django.apps import AppConfig


class WalletConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "wallet"
    verbose_name = "Wallet and ledger"

    def ready(self) -> None:
        # What the wallet adds to the community below it (community.extensions).
        from community.extensions import MenuItem, account_menu, coin_balance
        from wallet.selectors import coin_balance as wallet_coin_balance

        coin_balance.register(wallet_coin_balance, app=self.name)
        account_menu.add(
            MenuItem("Wallet", "wallet", icon="wallet/icons/wallet.svg"), app=self.name, order=10
        )
        # The ledger reconcile's age on /metrics (core.metrics).
        from core.metrics import scrape_collectors
        from wallet.metrics import LedgerReconcileCollector

        scrape_collectors.add(LedgerReconcileCollector(), app=self.name, key="ledger_reconcile")
