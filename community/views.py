"""HTML pages of the notes community, server-rendered and enhanced with htmx.

Views are thin: parse the input, call one service or selector, render.
Writes are POST-only and CSRF-protected. An htmx request gets back the piece
of page that changed (plus a sentence for screen readers in ``#announcer``);
a plain form post gets a redirect, so every action also works without
JavaScript. Domain errors become a friendly message with the right status:
a toast for htmx, the error page otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.contrib import messages
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.db.models import F, Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from community import badges, extensions, permissions, selectors, services, throttles
from community.errors import TooManyAttempts
from community.forms import (
    CollectForm,
    CommentForm,
    ComposeForm,
    LoginForm,
    NoteEditForm,
    ProfileForm,
    ReportForm,
    SignupForm,
    photo_order_step,
)
from community.models import Note, Photo, User
from core import pagination
from core.errors import DomainError, ValidationFailed
from core.forms import add_domain_errors
from core.views import (
    cursor_of,
    error_message,
    flag,
    handles_domain_errors,
    is_htmx,
    member,
    member_required,
    page_or_more,
    page_size,
    partial,
    safe_next,
)

NOTIFICATIONS_PAGE_SIZE = 30
MORE_FROM_AUTHOR = 6


def feed_response(
    request: HttpRequest,
    template: str,
    page: pagination.Page,
    context: dict[str, Any] | None = None,
    *,
    members: Sequence[User] = (),
) -> HttpResponse:
    """A page with a note grid, or, for the infinite scroll (htmx with a
    cursor), just the next cards and the next sentinel. The badges of the
    note authors (and of ``members``, the page's other people) are loaded
    with one call for the whole page."""
    badges.attach([*members, *(note.author for note in page.items)])
    context = {**(context or {}), "notes": page.items, "next_cursor": page.next_cursor}
    return page_or_more(request, template, "community/partials/feed_page.html", context)


# --- feeds ------------------------------------------------------------------------


@require_GET
@handles_domain_errors
def discover(request: HttpRequest) -> HttpResponse:
    page = selectors.feed_discover(viewer=request.user, cursor=cursor_of(request), size=page_size())
    context: dict[str, Any] = {"topics": selectors.topic_trending()}
    if cursor_of(request) is None:
        # Bands other apps add above the grid ("Live now"), on the first page only.
        context["discover_strips"] = extensions.discover_strips_for(request)
    return feed_response(request, "community/discover.html", page, context)


@require_GET
@member_required
@handles_domain_errors
def following(request: HttpRequest) -> HttpResponse:
    page = selectors.feed_following(
        viewer=request.user, cursor=cursor_of(request), size=page_size()
    )
    graph = selectors.viewer_graph(request.user)
    context: dict[str, Any] = {
        "follows_anyone": bool(graph.followed_users),
        "followed_ids": graph.followed_users,
    }
    if not page.items and not cursor_of(request):
        context["suggested"] = selectors.user_suggested(viewer=request.user, limit=8)
    return feed_response(request, "community/following.html", page, context)


@require_GET
@handles_domain_errors
def topic(request: HttpRequest, key: str) -> HttpResponse:
    found = selectors.topic_by_key(key)
    order = "new" if request.GET.get("order") == "new" else "hot"
    page = selectors.feed_topic(
        topic=found, viewer=request.user, cursor=cursor_of(request), size=page_size(), order=order
    )
    return feed_response(
        request,
        "community/topic.html",
        page,
        {
            "topic": found,
            "order": order,
            "following_topic": selectors.topic_is_followed(topic=found, viewer=request.user),
        },
    )


SEARCH_TAB_LABELS = [("top", "Top"), ("notes", "Notes"), ("people", "People"), ("topics", "Topics")]
SEARCH_TABS = tuple(key for key, _ in SEARCH_TAB_LABELS)
SEARCH_LIST_LIMIT = 30


@require_GET
@handles_domain_errors
def search(request: HttpRequest) -> HttpResponse:
    """Search with tabs: Top (the best few people and topics above the
    notes), Notes, People and Topics (``?type=``; anything else is Top)."""
    raw = request.GET.get("q")
    tab = request.GET.get("type", "top")
    if tab not in SEARCH_TABS:
        tab = "top"
    context: dict[str, Any] = {
        "query": (raw or "").strip(),
        "tab": tab,
        "search_tabs": [
            ("top", "Top"),
            ("notes", "Notes"),
            ("people", "People"),
            ("topics", "Topics"),
        ],
        "followed_ids": selectors.viewer_graph(request.user).followed_users,
    }
    if raw is None:
        context["topics"] = selectors.topic_trending()
        context["suggested"] = selectors.user_suggested(viewer=request.user, limit=6)
        return render(request, "community/search.html", context)
    try:
        query = selectors.clean_query(raw)
    except ValidationFailed as exc:
        context["error"] = error_message(exc)
        context["topics"] = selectors.topic_trending()
        return render(request, "community/search.html", context)
    context["query"] = query
    if tab == "people":
        context["users"] = selectors.user_search(
            query=query, viewer=request.user, limit=SEARCH_LIST_LIMIT
        )
        return render(request, "community/search.html", context)
    if tab == "topics":
        context["result_topics"] = selectors.topic_search(query=query, limit=SEARCH_LIST_LIMIT)
        return render(request, "community/search.html", context)
    results = selectors.search_results(
        raw_query=query, viewer=request.user, cursor=cursor_of(request), size=page_size()
    )
    if tab == "top":
        context.update(users=results.users[:3], more_users=len(results.users) > 3)
        context.update(result_topics=results.topics[:8])
    return feed_response(request, "community/search.html", results.notes, context)


# --- notes --------------------------------------------------------------------------


@require_GET
@handles_domain_errors
def note_detail(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = request.user
    note = selectors.note_for_viewer(note_id=pk, viewer=viewer)
    services.note_view_record(note=note, reader=viewer, address=request.META.get("REMOTE_ADDR", ""))
    comments = list(selectors.note_comments(note=note, viewer=viewer))
    reply_to = None
    if request.GET.get("reply", "").isdigit():
        wanted = int(request.GET["reply"])
        thread = [c for top in comments for c in [top, *getattr(top, "visible_replies", [])]]
        reply_to = next((c for c in thread if c.pk == wanted), None)
    more = []
    if note.is_published:
        more = [
            n
            for n in selectors.feed_author(
                author=note.author, viewer=viewer, size=MORE_FROM_AUTHOR + 1
            ).items
            if n.pk != note.pk
        ][:MORE_FROM_AUTHOR]
    graph = selectors.viewer_graph(viewer)
    badges.attach(
        [
            note.author,
            *(c.author for top in comments for c in [top, *getattr(top, "visible_replies", [])]),
            *(n.author for n in more),
        ]
    )
    return render(
        request,
        "community/note_detail.html",
        {
            "note": note,
            "note_sections": extensions.note_sections_for(request, note),
            "photos": list(note.photos.all()),
            "comments": comments,
            "reply_to": reply_to,
            "comment_form": CommentForm(initial={"parent": reply_to.pk if reply_to else None}),
            "is_author": getattr(viewer, "pk", None) == note.author_id,
            "is_moderator": permissions.is_moderator(viewer),
            "following_author": note.author_id in graph.followed_users,
            "more": more,
        },
    )


@require_POST
@member_required
@handles_domain_errors
def note_like(request: HttpRequest, pk: int) -> HttpResponse:
    user = member(request)
    note = selectors.note_for_viewer(note_id=pk, viewer=user)
    if flag(request):
        services.like_add(user=user, note=note)
    else:
        services.like_remove(user=user, note=note)
    if not is_htmx(request):
        return redirect(safe_next(request, note.get_absolute_url()))
    note = selectors.note_for_viewer(note_id=pk, viewer=user)
    said = "Liked" if getattr(note, "viewer_liked", False) else "Like removed"
    return partial(
        request,
        "community/partials/like_button.html",
        {"note": note},
        announce=f"{said}. {note.like_count} likes.",
    )


@require_http_methods(["GET", "POST"])
@member_required
@handles_domain_errors
def note_collect(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the board picker; POST: keep the note in a board (an existing
    one, a new one by name, or "Saved") or take it out."""
    user = member(request)
    note = selectors.note_for_viewer(note_id=pk, viewer=user)
    if request.method == "GET":
        context = {
            "note": note,
            "boards": selectors.user_boards(owner=user, viewer=user),
            "current": selectors.board_collected(user=user, note=note),
        }
        template = (
            "community/partials/board_picker.html"
            if is_htmx(request)
            else ("community/collect.html")
        )
        return render(request, template, context)
    form = CollectForm(request.POST)
    if not form.is_valid():
        raise ValidationFailed(fields={k: [str(m) for m in v] for k, v in form.errors.items()})
    data = form.cleaned_data
    if data["remove"]:
        services.collect_remove(user=user, note=note)
        said = "Removed from your boards."
    else:
        collect = services.collect_add(
            user=user, note=note, board_id=data["board"], board_name=data["new_board"] or None
        )
        said = f"Saved to {collect.board.name}."
    if not is_htmx(request):
        messages.success(request, said)
        return redirect(safe_next(request, note.get_absolute_url()))
    note = selectors.note_for_viewer(note_id=pk, viewer=user)
    return partial(
        request,
        "community/partials/collect_widget.html",
        {"note": note},
        announce=f"{said} {note.collect_count} collects.",
    )


@require_POST
@member_required
@handles_domain_errors
def comment_create(request: HttpRequest, pk: int) -> HttpResponse:
    user = member(request)
    note = selectors.note_for_viewer(note_id=pk, viewer=user)
    form = CommentForm(request.POST)
    parent_id = form.cleaned_data["parent"] if form.is_valid() else None
    comment = services.comment_create(
        author=user, note=note, body=request.POST.get("body", ""), parent_id=parent_id
    )
    if not is_htmx(request):
        return redirect(f"{note.get_absolute_url()}#comment-{comment.pk}")
    note = selectors.note_for_viewer(note_id=pk, viewer=user)
    badges.attach([comment.author])
    context = {
        "comment": comment,
        "note": note,
        "user": user,
        "fresh": True,
        "is_moderator": permissions.is_moderator(user),
    }
    response = partial(
        request,
        "community/partials/comment.html",
        context,
        announce="Reply posted." if comment.parent_id else "Comment posted.",
        extra=render_to_string(
            "community/partials/comment_count.html", {"note": note, "oob": True}
        ),
    )
    response["HX-Retarget"] = (
        f"#replies-{comment.parent_id}" if comment.parent_id else "#comment-list"
    )
    response["HX-Reswap"] = "beforeend"
    return response


@require_POST
@member_required
@handles_domain_errors
def comment_delete(request: HttpRequest, pk: int) -> HttpResponse:
    user = member(request)
    comment = selectors.comment_for_viewer(comment_id=pk, viewer=user)
    services.comment_delete(actor=user, comment=comment)
    note = Note.objects.get(pk=comment.note_id)
    if not is_htmx(request):
        messages.success(request, "Comment deleted.")
        return redirect(f"{note.get_absolute_url()}#comments")
    return partial(
        request,
        "community/partials/comment_count.html",
        {"note": note, "oob": True},
        announce="Comment deleted.",
    )


@require_http_methods(["GET", "POST"])
@member_required
@handles_domain_errors
def compose(request: HttpRequest) -> HttpResponse:
    """The compose page. With scripts, photos upload one by one to the API
    and the note is created there; this POST is the plain-form fallback."""
    user = member(request)
    form = ComposeForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            note = services.note_create(
                author=user,
                title=data["title"],
                body=data["body"],
                status=data["status"] or Note.Status.PUBLISHED,
                images=data["images"],
            )
        except DomainError as exc:
            add_domain_errors(form, exc)
        else:
            return redirect(note)
    return render(
        request,
        "community/compose.html",
        {
            "form": form,
            "max_photos": services.MAX_PHOTOS,
            "form_sections": extensions.note_form_sections_for(request, None),
        },
    )


@require_http_methods(["GET", "POST"])
@member_required
@handles_domain_errors
def note_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit a note. Its author also adds, removes and reorders the photos
    here (``#photos``): with scripts, new photos upload ahead through the API
    (static/js/note-edit.js) and the form sends the list in order; without,
    ``images`` are added on saving and each photo's buttons post a
    ``photo_op`` that re-shows the form with the list changed, unsaved."""
    user = member(request)
    note = selectors.note_for_edit(note_id=pk, viewer=user)
    permissions.check_can_edit_note(actor=user, note=note)
    is_author = note.author_id == user.pk
    initial = {
        "title": note.title,
        "body": note.body,
        "status": Note.Status.DRAFT if note.status == Note.Status.DRAFT else Note.Status.PUBLISHED,
    }
    form = NoteEditForm(request.POST or None, request.FILES or None, initial=initial)
    photos = list(note.photos.all())
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        status = data["status"] if note.status != Note.Status.HIDDEN else None
        photo_ids = data["photo_ids"] if is_author and data["photos_in_form"] else None
        step = request.POST.get("photo_op", "")
        if photo_ids is not None:
            photo_ids = photo_order_step(photo_ids, step) if step else photo_ids
            photos = selectors.note_photos_for_edit(note=note, photo_ids=photo_ids)
        if not step:
            try:
                services.note_update(
                    actor=user,
                    note=note,
                    title=data["title"],
                    body=data["body"],
                    status=status,
                    photo_ids=photo_ids,
                    images=data["images"] if is_author else [],
                )
            except DomainError as exc:
                add_domain_errors(form, exc)
            else:
                messages.success(request, "Your note is saved.")
                return redirect(note)
    return render(
        request,
        "community/note_edit.html",
        {
            "note": note,
            "form": form,
            "photos": photos,
            "is_author": is_author,
            "max_photos": services.MAX_PHOTOS,
            "form_sections": extensions.note_form_sections_for(request, note),
        },
    )


@require_POST
@member_required
@handles_domain_errors
def note_delete(request: HttpRequest, pk: int) -> HttpResponse:
    user = member(request)
    note = selectors.note_for_edit(note_id=pk, viewer=user)
    services.note_delete(actor=user, note=note)
    messages.success(request, "The note is deleted.")
    return redirect("profile", note.author.username)


# --- members -------------------------------------------------------------------------


@require_GET
@handles_domain_errors
def profile(request: HttpRequest, username: str, tab: str = "notes") -> HttpResponse:
    viewer = request.user
    found = selectors.profile_for_viewer(username=username, viewer=viewer)
    author = found.user
    if tab == "drafts" and not found.is_self:
        raise Http404("Only you can see your drafts.")
    context: dict[str, Any] = {"profile": found, "member": author, "tab": tab}
    if found.is_blocked:
        return feed_response(
            request,
            "community/profile.html",
            pagination.Page(items=[], next_cursor=None),
            context,
            members=[author],
        )
    if tab == "boards":
        boards = list(selectors.user_boards(owner=author, viewer=viewer))
        covers = selectors.board_covers(boards=boards, viewer=viewer)
        context["boards"] = [(board, covers.get(board.pk, [])) for board in boards]
        page = pagination.Page(items=[], next_cursor=None)
    elif tab == "liked":
        liked = selectors.user_liked_notes(user=author, viewer=viewer).annotate(
            like_key=F("likes__id")
        )
        page = pagination.keyset(liked, cursor=cursor_of(request), size=page_size(), key="like_key")
    elif tab == "drafts":
        drafts = selectors.note_list(viewer=viewer, author=author, status=Note.Status.DRAFT)
        page = pagination.keyset(drafts, cursor=cursor_of(request), size=page_size())
    else:
        page = selectors.feed_author(
            author=author, viewer=viewer, cursor=cursor_of(request), size=page_size()
        )
        if cursor_of(request) is None:
            # Bands other apps add above the notes (live's replays), on the first page only.
            context["profile_sections"] = extensions.profile_sections_for(request, author)
    return feed_response(request, "community/profile.html", page, context, members=[author])


@require_GET
@member_required
def me(request: HttpRequest) -> HttpResponse:
    """Every destination of a member on one page: the "Me" tab of phones and
    tablets, where the header's account menu does not fit."""
    return render(request, "community/me.html")


@require_GET
@handles_domain_errors
def profile_people(request: HttpRequest, username: str, relation: str) -> HttpResponse:
    """A member's followers or the members they follow, newest first, with
    follow buttons; paged by the id of the follow (infinite scroll)."""
    found = selectors.profile_for_viewer(username=username, viewer=request.user)
    if relation == "followers":
        people = selectors.user_followers(user=found.user).annotate(position=F("following_rel__id"))
    else:
        people = selectors.user_following(user=found.user).annotate(position=F("follower_rel__id"))
    unseen = selectors.viewer_graph(request.user).unseen
    if unseen:
        people = people.exclude(pk__in=unseen)
    page = pagination.keyset(people, cursor=cursor_of(request), size=page_size(), key="position")
    context = {
        "profile": found,
        "member": found.user,
        "relation": relation,
        "people": page.items,
        "next_cursor": page.next_cursor,
        "followed_ids": selectors.viewer_graph(request.user).followed_users,
    }
    return page_or_more(
        request, "community/people.html", "community/partials/people_page.html", context
    )


@require_GET
@handles_domain_errors
def board(request: HttpRequest, pk: int) -> HttpResponse:
    found = selectors.board_for_viewer(board_id=pk, viewer=request.user)
    notes = selectors.board_notes(board=found, viewer=request.user).annotate(
        collect_key=F("collects__id")
    )
    page = pagination.keyset(notes, cursor=cursor_of(request), size=page_size(), key="collect_key")
    return feed_response(request, "community/board.html", page, {"board": found})


@require_POST
@member_required
@handles_domain_errors
def user_follow(request: HttpRequest, username: str) -> HttpResponse:
    user = member(request)
    followee = selectors.user_by_username(username)
    if flag(request):
        services.user_follow(follower=user, followee=followee)
    else:
        services.user_unfollow(follower=user, followee=followee)
    if not is_htmx(request):
        return redirect(safe_next(request, followee.get_absolute_url()))
    followee.refresh_from_db(fields=["follower_count"])
    following_now = flag(request)
    said = (
        f"Following {followee.shown_name}."
        if following_now
        else (f"Unfollowed {followee.shown_name}.")
    )
    return partial(
        request,
        "community/partials/follow_button.html",
        {"target": followee, "following": following_now},
        announce=said,
        extra=render_to_string(
            "community/partials/follower_count.html", {"member": followee, "oob": True}
        ),
    )


@require_POST
@member_required
@handles_domain_errors
def user_block(request: HttpRequest, username: str) -> HttpResponse:
    user = member(request)
    target = selectors.user_by_username(username)
    if flag(request):
        services.user_block(blocker=user, blocked=target)
        messages.success(
            request,
            f"You blocked @{target.username}. You will not see their "
            "notes and they cannot interact with you.",
        )
    else:
        services.user_unblock(blocker=user, blocked=target)
        messages.success(request, f"You unblocked @{target.username}.")
    # Back where the form was (the settings' list of blocked members), else
    # the profile.
    return redirect(safe_next(request, target.get_absolute_url()))


@require_POST
@member_required
@handles_domain_errors
def topic_follow(request: HttpRequest, key: str) -> HttpResponse:
    user = member(request)
    found = selectors.topic_by_key(key)
    if flag(request):
        services.topic_follow(user=user, topic=found)
    else:
        services.topic_unfollow(user=user, topic=found)
    if not is_htmx(request):
        return redirect(safe_next(request, found.get_absolute_url()))
    found.refresh_from_db(fields=["follower_count"])
    following_now = flag(request)
    return partial(
        request,
        "community/partials/topic_follow_button.html",
        {"topic": found, "following_topic": following_now},
        announce=f"{'Following' if following_now else 'Unfollowed'} #{found.name}.",
    )


@require_http_methods(["GET", "POST"])
@member_required
@handles_domain_errors
def report(request: HttpRequest, kind: str, ident: str) -> HttpResponse:
    """Flag a note, a comment or a member: GET is the form (in a dialog with
    htmx), POST files the report."""
    user = member(request)
    target: dict[str, Any] = {}
    if kind == "note" and ident.isdigit():
        target["note"] = selectors.note_for_viewer(note_id=int(ident), viewer=user)
        back, label = target["note"].get_absolute_url(), "this note"
    elif kind == "comment" and ident.isdigit():
        target["comment"] = selectors.comment_for_viewer(comment_id=int(ident), viewer=user)
        back, label = target["comment"].note.get_absolute_url(), "this comment"
    elif kind == "user":
        target["user"] = selectors.user_by_username(ident)
        back, label = target["user"].get_absolute_url(), f"@{target['user'].username}"
    else:
        raise Http404("Unknown report target.")
    form = ReportForm(request.POST or None)
    context = {"form": form, "kind": kind, "ident": ident, "label": label, "back": back}
    if request.method == "POST" and form.is_valid():
        try:
            services.report_create(
                reporter=user,
                reason=form.cleaned_data["reason"],
                detail=form.cleaned_data["detail"],
                **target,
            )
        except DomainError as exc:
            add_domain_errors(form, exc)
        else:
            if not is_htmx(request):
                messages.success(request, "Thanks — moderators will take a look.")
                return redirect(back)
            return partial(
                request,
                "community/partials/report_done.html",
                context,
                announce="Report sent. Thank you.",
            )
    template = (
        "community/partials/report_form.html" if is_htmx(request) else ("community/report.html")
    )
    return render(request, template, context)


# --- notifications -----------------------------------------------------------------------


@require_GET
@member_required
@handles_domain_errors
def notifications(request: HttpRequest) -> HttpResponse:
    user = member(request)
    items = selectors.notification_list(user=user).prefetch_related(
        Prefetch("note__photos", queryset=Photo.objects.order_by("position", "id"))
    )
    page = pagination.keyset(items, cursor=cursor_of(request), size=NOTIFICATIONS_PAGE_SIZE)
    context = {
        "items": selectors.notification_grouped(page.items),
        "next_cursor": page.next_cursor,
        "followed_ids": selectors.viewer_graph(user).followed_users,
    }
    if is_htmx(request) and cursor_of(request):
        return render(request, "community/partials/notification_page.html", context)
    return render(request, "community/notifications.html", context)


@require_POST
@member_required
@handles_domain_errors
def notifications_read(request: HttpRequest) -> HttpResponse:
    user = member(request)
    count = services.notifications_mark_read(user=user)
    if not is_htmx(request):
        messages.success(request, "All caught up.")
        return redirect("notifications")
    items = selectors.notification_list(user=user).prefetch_related(
        Prefetch("note__photos", queryset=Photo.objects.order_by("position", "id"))
    )
    page = pagination.keyset(items, cursor=None, size=NOTIFICATIONS_PAGE_SIZE)
    return partial(
        request,
        "community/partials/notification_list.html",
        {
            "items": selectors.notification_grouped(page.items),
            "next_cursor": page.next_cursor,
            "followed_ids": selectors.viewer_graph(user).followed_users,
        },
        announce=f"Marked {count} notifications as read." if count else "All caught up.",
        extra=render_to_string(
            "community/partials/notification_badge.html", {"unread_notifications": 0, "oob": True}
        ),
    )


# --- accounts ----------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("discover")
    form = SignupForm(request.POST or None)
    if request.method == "POST":
        try:
            throttles.check_signup(request)
        except TooManyAttempts as exc:
            form.add_error(None, exc.message)
            return render(
                request,
                "registration/signup.html",
                {"form": form, "next": request.POST.get("next", "")},
                status=exc.status,
            )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.user_register(
                username=data["username"], email=data["email"], password=data["password"]
            )
        except DomainError as exc:
            add_domain_errors(form, exc)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            services.email_verification_send(user=user, link_for=_verify_link(request))
            messages.success(
                request,
                f"Welcome to Sprout, @{user.username}! We sent a link to {user.email} "
                "to confirm your address.",
            )
            wanted = request.POST.get("next", "")
            if not wanted.startswith("/") or not url_has_allowed_host_and_scheme(
                wanted, allowed_hosts={request.get_host()}
            ):
                wanted = reverse("discover")
            return redirect(wanted)
    return render(
        request, "registration/signup.html", {"form": form, "next": request.GET.get("next", "")}
    )


def _verify_link(request: HttpRequest) -> Callable[[str], str]:
    return lambda token: request.build_absolute_uri(reverse("verify_email", args=[token]))


@require_GET
def verify_email(request: HttpRequest, token: str) -> HttpResponse:
    """The link sent to a member's address: marks it verified (also when
    someone else's browser opens it: the token is the proof)."""
    try:
        verified = services.email_verify(token=token)
    except DomainError as exc:
        return render(
            request,
            "registration/verify_email_result.html",
            {"error": exc.message, "code": exc.code},
            status=exc.status,
        )
    return render(request, "registration/verify_email_result.html", {"verified": verified})


@require_POST
@member_required
def verify_email_resend(request: HttpRequest) -> HttpResponse:
    user = member(request)
    try:
        throttles.check_mail_request(request)
    except TooManyAttempts as exc:
        messages.error(request, exc.message)
        return redirect("settings_profile")
    if services.email_verification_send(user=user, link_for=_verify_link(request)):
        messages.success(request, f"We sent a new link to {user.email}.")
    else:
        messages.info(request, "Your e-mail address is already verified.")
    return redirect("settings_profile")


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Django's form (no answer reveals whether an address has an account),
    with the message sent by the mail task instead of inside the request."""

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        from community.tasks import send_email

        subject = "".join(render_to_string(subject_template_name, context).splitlines())
        body = render_to_string(email_template_name, context)
        send_email.delay(subject, body, [to_email])


class PasswordResetView(auth_views.PasswordResetView):
    """``/password/reset``: a link by e-mail, within the mail allowance of
    ``community.throttles`` (a refused request answers 429)."""

    form_class = PasswordResetForm
    template_name = "registration/password_reset_form.html"
    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"
    success_url = reverse_lazy("password_reset_done")

    def form_valid(self, form: auth_forms.PasswordResetForm) -> HttpResponse:
        try:
            throttles.check_mail_request(self.request)
        except TooManyAttempts as exc:
            form.add_error(None, exc.message)
            response = self.form_invalid(form)
            response.status_code = exc.status
            return response
        return super().form_valid(form)


class LoginView(auth_views.LoginView):
    """``/login``: Django's view with the attempt limits of
    ``community.throttles``; a refused attempt answers 429."""

    form_class = LoginForm
    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def form_invalid(self, form: LoginForm) -> HttpResponse:  # type: ignore[override]
        response = super().form_invalid(form)
        if form.locked_out:
            response.status_code = TooManyAttempts.status
        return response


@require_http_methods(["GET", "POST"])
@member_required
@handles_domain_errors
def settings_profile(request: HttpRequest) -> HttpResponse:
    user = member(request)
    form = ProfileForm(
        request.POST or None,
        request.FILES or None,
        initial={"display_name": user.display_name, "bio": user.bio},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.user_profile_update(
                user=user,
                display_name=data["display_name"],
                bio=data["bio"],
                avatar=data["avatar"] or None,
            )
        except DomainError as exc:
            add_domain_errors(form, exc)
        else:
            messages.success(request, "Your profile is updated.")
            return redirect(user)
    return render(
        request,
        "community/settings_profile.html",
        # Search and feeds hide blocked members: this list is how a member
        # finds them again to unblock them.
        {"form": form, "blocked": selectors.user_blocked_list(user=user)},
    )
