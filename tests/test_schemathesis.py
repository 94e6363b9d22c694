"""The OpenAPI schema tells the truth: Schemathesis generates requests from
the schema drf-spectacular serves at ``/api/schema/`` and sends them to the
site in-process (Django's WSGI application, inside the test's transaction),
authenticated with the world owner's token.

Every response is checked for: no server error (5xx other than the
documented 503), a status the operation documents, a body and content type
its schema allows, a schema-valid request not refused with a 400
(``positive_data_acceptance``) and a schema-invalid one not accepted
(``negative_data_rejection``). Disabled per operation, with the reason:
``CHECKS_OFF``.

Valid ("positive") cases name the world's objects in their path (the owner's
note, room, product, order... from ``tests/test_permission_sweep.py``'s
world and table), so they reach the views' validation and services instead
of 404s; invalid ("negative") ones keep the path Schemathesis generated.
Bodies are sent as JSON wherever an operation takes JSON (forms cannot say
null or tell 0 from false); operations that take files keep multipart.

Bounded for CI: ``SPROUT_SCHEMATHESIS_EXAMPLES`` examples per operation
(default 8) with a fixed seed (derandomized), so a failure reproduces. An
exploratory run (README, under `make test`): more examples and a seed of its own,
``SPROUT_SCHEMATHESIS_EXAMPLES=200 SPROUT_SCHEMATHESIS_SEED=random``; a
failure prints the seed to run again with. Runs in the PostgreSQL pass only
(marked ``postgres``): it needs no service beyond the database, and one pass
with every app installed covers the whole schema once.
"""

from __future__ import annotations

import json
import os
import random
import re
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.serializers.json import DjangoJSONEncoder
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, Phase, seed, settings
from rest_framework.authtoken.models import Token
from schemathesis.config import SchemathesisConfig
from schemathesis.core.parameters import ParameterLocation

from tests.test_permission_sweep import RULES, World, build_world

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

EXAMPLES = int(os.environ.get("SPROUT_SCHEMATHESIS_EXAMPLES", "8"))
_SEED = os.environ.get("SPROUT_SCHEMATHESIS_SEED", "20261207")
SEED = random.randrange(2**32) if _SEED == "random" else int(_SEED)

CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "positive_data_acceptance",
    "negative_data_rejection",
]

# What the test sets itself on every request: the Authorization header (the
# owner's token) and the cookies (none).
SENT_BY_THE_TEST = {ParameterLocation.COOKIE, ParameterLocation.HEADER}

# operationId -> {check: why it is off for that operation}.
POSITIVE = "positive_data_acceptance"
NEGATIVE = "negative_data_rejection"
# DRF's CharField takes a JSON number as its text ("bio": 0 is "0"), by design.
NUMBER_AS_TEXT = "DRF's CharField takes a JSON number as its text"
BLANK_REFUSED = "a blank {} is refused by the service with its own message"
CHECKS_OFF: dict[str, dict[str, str]] = {
    "auth_register_create": {
        POSITIVE: "the password policy (Django's validators) and a taken username or "
        "address refuse schema-valid sign-ups"
    },
    "auth_token_create": {POSITIVE: "a wrong password is a well-formed request, refused"},
    "boards_create": {
        NEGATIVE: "DRF reads the JSON numbers 0 and 1 as booleans",
        POSITIVE: "a member's board names are unique (duplicate_board), and examples repeat",
    },
    "creators_list": {POSITIVE: "order=score is for staff, who see the whole pool"},
    "live_rooms_gifts_create": {POSITIVE: "the gift must be in the catalog (data, not schema)"},
    "wallet_recharge_create": {NEGATIVE: NUMBER_AS_TEXT},
    "live_rooms_create": {NEGATIVE: NUMBER_AS_TEXT},
    "me_partial_update": {NEGATIVE: NUMBER_AS_TEXT},
    "notes_create": {POSITIVE: BLANK_REFUSED.format("title"), NEGATIVE: NUMBER_AS_TEXT},
    "notes_partial_update": {POSITIVE: BLANK_REFUSED.format("title"), NEGATIVE: NUMBER_AS_TEXT},
    "creators_applications_create": {
        POSITIVE: "a pitch of 20 characters or more, checked by the service with its own "
        "message (the schema states the upper bound only)"
    },
    "invitations_accept_create": {POSITIVE: "an invitation is answered once (invitation_closed)"},
    "invitations_decline_create": {POSITIVE: "an invitation is answered once (invitation_closed)"},
    "notes_list": {POSITIVE: "status=draft needs author=<you> (a rule across two parameters)"},
    "notes_comments_create": {POSITIVE: BLANK_REFUSED.format("comment")},
    "notes_photos_add": {
        POSITIVE: "any bytes are a schema-valid file; only an image Sprout accepts is taken"
    },
    "notes_photos_reorder": {POSITIVE: "the list must name each of the note's photos once"},
    "photos_create": {
        POSITIVE: "any bytes are a schema-valid file; only an image Sprout accepts is taken"
    },
    "reports_create": {
        POSITIVE: "exactly one of note, comment and user (a rule across fields) naming an "
        "object that exists"
    },
    "shop_products_create": {POSITIVE: "a new product's variants carry no ids"},
    "shop_cart_items_create": {
        POSITIVE: "the source must name a published note or a live session that exists"
    },
    "shop_flash_sales_create": {POSITIVE: "the variant must be one of the product's"},
    "shop_flash_sales_buy_create": {
        POSITIVE: "the source names a note or a live session, not both (a rule across fields)"
    },
    "shop_products_images_set": {
        POSITIVE: "an empty `keep` list cannot travel in multipart (no field is sent at all)"
    },
    "wallet_callbacks_create": {
        POSITIVE: "only a body signed with the provider's secret is taken (invalid_signature)"
    },
    "shop_products_partial_update": {
        POSITIVE: "variant ids must be the product's own (ids exist in the database only)"
    },
    "live_sessions_timeline_retrieve": {
        POSITIVE: "a window's bounds are a rule across parameters (to_ms at least from_ms, "
        "at most 10 minutes after it)"
    },
    "live_sessions_replay_hide_create": {
        POSITIVE: "moderators hide replays; the world's owner (whose token the run uses) is "
        "the host"
    },
    "live_sessions_replay_hide_destroy": {
        POSITIVE: "moderators show hidden replays; the world's owner is the host"
    },
}


def _config() -> SchemathesisConfig:
    return SchemathesisConfig.from_dict(
        {
            "generation": {"mode": "all"},
            # Ids captured from earlier responses would turn an invalid path
            # into a valid one still judged as invalid; the valid cases get
            # the world's ids instead (below).
            "phases": {
                phase: {"extra-data-sources": {"responses": False}}
                for phase in ("examples", "coverage", "fuzzing")
            },
            "checks": {
                # The site's own 503 (temporarily_unavailable) is documented;
                # any other 5xx is a bug.
                "not_a_server_error": {"expected-statuses": ["2xx", "3xx", "4xx", "503"]},
            },
        }
    )


def _document() -> dict[str, Any]:
    """The schema as ``/api/schema/`` serves it."""
    from drf_spectacular.generators import SchemaGenerator

    raw = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(json.dumps(raw, cls=DjangoJSONEncoder))  # type: ignore[no-any-return]


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _json_where_offered(document: dict[str, Any]) -> dict[str, Any]:
    """Bodies as JSON wherever an operation takes JSON: a form field is text,
    so a form cannot carry a null, and Schemathesis judges ``is_private=0``
    "not a boolean" where DRF reads it as false by design. Operations that
    take files (multipart only) keep their multipart body."""
    for methods in document["paths"].values():
        for operation in methods.values():
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" in content:
                for form in FORM_TYPES:
                    content.pop(form, None)
    return document


schema = schemathesis.openapi.from_dict(_json_where_offered(_document()), config=_config())
schema.app = WSGIHandler()


@pytest.fixture(scope="module")
def world(django_db_setup: None, django_db_blocker: Any) -> Iterator[World]:
    """One world for every operation, in a transaction rolled back after the
    module: each operation's test runs in a savepoint of its own inside it,
    so what one operation's requests change (a deleted note) is undone
    before the next. Built once: a world per operation would cost a minute."""
    # Django closes "old" connections around each request, and the test's
    # transaction with them; its own test client disconnects these for the
    # same reason.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    # Shown with a failure's captured output: the seed to replay it with.
    print(f"Schemathesis seed: {SEED} ({EXAMPLES} examples per operation)")
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            built = build_world()
            built.values["token"] = Token.objects.get_or_create(user=built.owner)[0].key
            yield built
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)


# Operations on another member, which the caller cannot do to themselves
# (``self_action``): the sweep's table names the owner for its own purpose.
ABOUT_ANOTHER = {"users_follow_create", "users_block_create"}
# Operations the owner cannot do in their own room (a gift to oneself).
IN_ANOTHERS_ROOM = {"live_rooms_gifts_create"}


def _fixed_path(operation_id: str, path_parameters: dict[str, Any], world: World) -> dict[str, Any]:
    """The world's objects in place of generated path parameters, chosen by
    the permission sweep's table (which object each operation addresses)."""
    rule = RULES.get(operation_id)
    fixed = dict(path_parameters)
    for name in path_parameters:
        if name == "id" and operation_id in IN_ANOTHERS_ROOM:
            fixed[name] = str(world.ids["other_room"])
        elif name == "id" and rule is not None and rule.target:
            # Text, as the schema types it: an int would make the case
            # "invalid" in Schemathesis's eyes once it checks it again.
            fixed[name] = str(world.ids[rule.target])
        elif name == "username" and operation_id in ABOUT_ANOTHER:
            fixed[name] = world.other.username
        elif name == "username" and rule is not None:
            fixed[name] = getattr(world, rule.username).username
        elif name in world.values:
            fixed[name] = world.values[name]
    return fixed


@seed(SEED)
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=_SEED != "random",
    database=None,
    phases=[Phase.explicit, Phase.generate, Phase.shrink],
    suppress_health_check=list(HealthCheck),
)
@schema.parametrize()
def test_operation_matches_its_schema(case: Any, world: World) -> None:
    token = world.values["token"]
    operation_id = case.operation.definition.raw.get("operationId", "")
    meta = case.meta
    assert meta is not None
    if case.path_parameters and meta.generation.mode.is_positive:
        case.path_parameters = _fixed_path(operation_id, case.path_parameters, world)
    # The run authenticates with a token; the session cookie the schema also
    # allows is the browser's (and would bring CSRF into every write).
    case.cookies = {}
    off = dict(CHECKS_OFF.get(operation_id, {}))
    if meta.generation.mode.is_positive and case.query and "cursor" in case.query:
        # A cursor is minted by the server (a previous page's ``next``); a
        # generated one is refused (invalid_cursor) however well formed.
        case.query = {k: v for k, v in case.query.items() if k != "cursor"}
    sent = json.dumps([case.body, case.query], default=str)
    if meta.generation.mode.is_positive and "\\u0000" in sent:
        off[POSITIVE] = "no text may hold NUL, keys of free-form objects included (site-wide)"
    negative = {loc for loc, info in meta.components.items() if info.mode.is_negative}
    if meta.generation.mode.is_negative and negative <= SENT_BY_THE_TEST:
        # Only a credential was invalid, and the test sends its own token
        # (and no cookie) instead: a valid request.
        off["negative_data_rejection"] = "the invalid credential is replaced by the token"
    case.call_and_validate(
        headers={"Authorization": f"Token {token}"},
        checks=[_check(name) for name in CHECKS if name not in off],
        excluded_checks=[_check(name) for name in CHECKS if name in off],
    )


def _check(name: str) -> Any:
    from schemathesis.checks import CHECKS as registry

    return registry.get_by_names([name])[0]


def test_disabled_checks_name_real_operations_and_checks() -> None:
    """``CHECKS_OFF`` names operations the schema has and checks this runs."""
    from tests.test_permission_sweep import OPERATIONS

    for operation_id, checks in CHECKS_OFF.items():
        assert operation_id in OPERATIONS, operation_id
        for name, reason in checks.items():
            assert name in CHECKS and re.search(r"\w{3}", reason), (operation_id, name)
