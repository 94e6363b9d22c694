"""factory_boy factories for every model, one module per app
(``tests/factories/<app>.py``), all importable from here.

The community's are imported at once; a higher app's module is imported on
first use of one of its names, so that a run with only the kernel and
``community`` installed (the community-only pass) can import this package
without the higher apps' models.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from tests.factories.base import ModelFactory, ServiceMadeFactory, fresh, jpeg_bytes
from tests.factories.community import (
    PASSWORD,
    BlockFactory,
    BoardFactory,
    CollectFactory,
    CommentFactory,
    FollowFactory,
    LikeFactory,
    ModeratorFactory,
    NoteFactory,
    NotificationFactory,
    PhotoFactory,
    ReportFactory,
    SuperuserFactory,
    TopicFactory,
    TopicFollowFactory,
    UserFactory,
)

if TYPE_CHECKING:
    from tests.factories.kol import (
        AgencyFactory,
        AgencyMembershipFactory,
        ApplicationFactory,
        CreatorDailyStatFactory,
        CreatorFactory,
        HostFactory,
        InvitationFactory,
        NicheFactory,
        RevenueShareChangeFactory,
    )
    from tests.factories.live import (
        ChatMessageFactory,
        HeartsMarkFactory,
        LiveSessionFactory,
        ReplayFactory,
        ReplaySourceFactory,
        RoomFactory,
        RoomRestrictionFactory,
        StreamKeyFactory,
    )
    from tests.factories.shop import (
        CartItemFactory,
        FlashSaleFactory,
        NoteProductFactory,
        OrderFactory,
        OrderLineFactory,
        ProductFactory,
        ProductImageFactory,
        ProductVariantFactory,
        RoomPinFactory,
        ShopFactory,
    )
    from tests.factories.wallet import (
        AccountFactory,
        EntryFactory,
        FundedMemberFactory,
        GiftFactory,
        GiftSendFactory,
        PaymentFactory,
        PayoutFactory,
        PayoutRunFactory,
        ReconcileRunFactory,
        fund,
        gift_catalog,
        unbalanced_entries,
    )

_LATER = {
    "tests.factories.kol": (
        "AgencyFactory",
        "AgencyMembershipFactory",
        "ApplicationFactory",
        "CreatorDailyStatFactory",
        "CreatorFactory",
        "HostFactory",
        "InvitationFactory",
        "NicheFactory",
        "RevenueShareChangeFactory",
    ),
    "tests.factories.wallet": (
        "AccountFactory",
        "EntryFactory",
        "FundedMemberFactory",
        "GiftFactory",
        "GiftSendFactory",
        "PaymentFactory",
        "PayoutFactory",
        "PayoutRunFactory",
        "ReconcileRunFactory",
        "fund",
        "gift_catalog",
        "unbalanced_entries",
    ),
    "tests.factories.shop": (
        "CartItemFactory",
        "FlashSaleFactory",
        "NoteProductFactory",
        "OrderFactory",
        "OrderLineFactory",
        "RoomPinFactory",
        "ProductFactory",
        "ProductImageFactory",
        "ProductVariantFactory",
        "ShopFactory",
    ),
    "tests.factories.live": (
        "ChatMessageFactory",
        "HeartsMarkFactory",
        "LiveSessionFactory",
        "ReplayFactory",
        "ReplaySourceFactory",
        "RoomFactory",
        "RoomRestrictionFactory",
        "StreamKeyFactory",
    ),
}
_MODULE_OF = {name: module for module, names in _LATER.items() for name in names}


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


__all__ = [
    "PASSWORD",
    "AccountFactory",
    "AgencyFactory",
    "AgencyMembershipFactory",
    "ApplicationFactory",
    "BlockFactory",
    "BoardFactory",
    "CartItemFactory",
    "ChatMessageFactory",
    "CollectFactory",
    "CommentFactory",
    "CreatorDailyStatFactory",
    "CreatorFactory",
    "EntryFactory",
    "FlashSaleFactory",
    "FollowFactory",
    "FundedMemberFactory",
    "GiftFactory",
    "GiftSendFactory",
    "HeartsMarkFactory",
    "HostFactory",
    "InvitationFactory",
    "LikeFactory",
    "LiveSessionFactory",
    "ModelFactory",
    "ModeratorFactory",
    "NicheFactory",
    "NoteFactory",
    "NoteProductFactory",
    "NotificationFactory",
    "OrderFactory",
    "OrderLineFactory",
    "PaymentFactory",
    "PayoutFactory",
    "PayoutRunFactory",
    "PhotoFactory",
    "ProductFactory",
    "ProductImageFactory",
    "ProductVariantFactory",
    "ReconcileRunFactory",
    "ReplayFactory",
    "ReplaySourceFactory",
    "ReportFactory",
    "RevenueShareChangeFactory",
    "RoomFactory",
    "RoomPinFactory",
    "RoomRestrictionFactory",
    "ServiceMadeFactory",
    "ShopFactory",
    "StreamKeyFactory",
    "SuperuserFactory",
    "TopicFactory",
    "TopicFollowFactory",
    "UserFactory",
    "fresh",
    "fund",
    "gift_catalog",
    "jpeg_bytes",
    "unbalanced_entries",
]
