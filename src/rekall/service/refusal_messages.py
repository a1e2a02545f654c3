"""What a copy, an import or any other write says when the base refuses it, and what to do."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rekall.core.errors import CopyMismatchError, RefusedWriteError, StorageError

if TYPE_CHECKING:
    from pathlib import Path

    from rekall.storage.contract import Store


def raise_if_written_meanwhile(
    db: Store, seen: int, error: CopyMismatchError | RefusedWriteError
) -> bool:
    """When another process wrote to the target after the copy read what it holds, that write
    is what the failed check saw, or what made the target refuse the copy's write (a piece
    whose entry's vector changed meanwhile): the copy's own was rolled back. Say so, not that
    the copy went wrong. Returns False when the target's write count cannot be read now (a
    timeout, a server gone): whether it was written meanwhile is then unknown.
    Raises StorageError when it was."""
    try:
        now = db.generation()
    except StorageError:
        return False
    if now == seen:
        return True
    if isinstance(error, RefusedWriteError):
        failed = f"it refused the copy's write: {error.reason}"
    else:
        failed = str(error).removesuffix("; nothing was written")
    raise StorageError(
        f"another process wrote to the target ({db.location}) during the copy, so it no "
        f"longer held what the copy had read of it ({failed}); nothing was written: "
        "run the copy again"
    ) from error


def copy_refused(location: str, error: RefusedWriteError, known: bool) -> StorageError:
    """The copy's refused write, when no other process wrote to the target meanwhile (known)
    or when that cannot be told."""
    if known:
        meanwhile = "No other process wrote to it meanwhile, so "
    else:
        meanwhile = (
            "Whether another process wrote to it meanwhile is unknown: the target could not "
            "be read after the refusal (if one did, running the copy again finishes it). "
            "If none did, "
        )
    return StorageError(
        f"the target ({location}) refused the copy's write ({error.reason}); nothing was "
        f"written. {meanwhile}{_cause(error, 'the target', 'the source', 'the copy')}"
    )


def import_refused(location: str, source: Path, error: RefusedWriteError) -> StorageError:
    """The import's refused write: a rule added to the base that forbids what the file holds,
    or one of Rekall's own, which another process writing the same entries at that moment can
    trip (the import's checks keep the file within them)."""
    opening = (
        f"{location} refused a write of the import of {source} ({error.reason}); nothing was "
        "written. "
    )
    named = f" ({error.rule})" if error.rule else ""
    if error.own is False:  # a rule of the team's: running it again changes nothing
        cause = _cause(error, "the base", "the file", "")
        return StorageError(opening + cause[0].upper() + cause[1:])
    if error.own:
        then = (
            f"the refused rule{named} is one of Rekall's own schema, which the import's checks "
            "keep: run 'rekall check' (the base may have been changed outside Rekall), and if "
            "it finds nothing, report it as a bug in Rekall with this message"
        )
    else:
        then = _cause(error, "the base", "the file", "")
    return StorageError(
        f"{opening}Run the import again (another process may have written the same entries "
        f"at that moment); if it is refused again, {then}"
    )


def unnamed_refusal(exc: BaseException, location: str) -> str | None:
    """What to say of a write the base refused that no command named (a constraint or
    trigger added to the base refusing an add, an edit, a link): its reason, whose rule it
    was and what to do; None when exc is no refusal."""
    from rekall.storage.refusals import refusal_of

    error = refusal_of(exc, location)
    if error is None:
        return None
    cause = _cause(error, "the base", "the command", "the command")
    return f"{error}. {cause[0].upper()}{cause[1:]}"


def _cause(error: RefusedWriteError, base: str, source: str, work: str) -> str:
    """Whose rule refused the write, and the fix that follows: a rule added to the base is
    changed there or obeyed; Rekall's own rules are kept by Rekall's writes, so a refusal by
    one means a change made outside Rekall or a bug."""
    named = f" ({error.rule})" if error.rule else ""
    again = f", then run {work} again" if work else ""
    if error.own:
        return (
            f"the refused rule{named} is one of Rekall's own schema, which Rekall's writes "
            f"keep, so {base} or {source} was changed outside Rekall, or Rekall has a bug: "
            f"run 'rekall check' on both{again}; if it is refused again, report it as a bug "
            "in Rekall with this message"
        )
    if error.own is False:
        return (
            f"a rule added to {base}{named}, not one of Rekall's schema, forbids what "
            f"{source} holds: change that rule or {source}{again}"
        )
    return (
        f"a rule of {base}'s schema{named} (a constraint or trigger) forbids what {source} "
        f"holds: change that rule, or {source}{again}"
    )
