"""Small modal questions: confirm, choose one of several, which occurrences of a series."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, Generic, TypeVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from sessions_tui.services.appointments import Scope

T = TypeVar("T")


class ChoiceModal(ModalScreen[T | None], Generic[T]):
    """Pick one of several answers with the arrow keys and enter; escape answers ``None``.

    | Key | Action |
    | --- | --- |
    | up/down | Move between answers |
    | enter | Choose |
    | escape | Cancel (nothing changes) |
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="choice.cancel", tooltip="Close without choosing"),
    ]

    DEFAULT_CSS = """
    ChoiceModal { align: center middle; }
    ChoiceModal > Vertical {
        width: auto; min-width: 40; max-width: 76; height: auto;
        border: thick $accent; background: $surface; padding: 0 1;
    }
    ChoiceModal #choice-question { width: auto; max-width: 72; padding: 0 0 1 0; }
    ChoiceModal #choice-detail { width: auto; max-width: 72; color: $text-muted; padding: 0 0 1 0; }
    ChoiceModal OptionList { height: auto; max-height: 10; width: auto; min-width: 36; }
    """

    def __init__(
        self,
        question: str,
        answers: Sequence[tuple[str, T]],
        *,
        detail: str = "",
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.question = question
        self.detail = detail
        self.answers = list(answers)

    def compose(self) -> ComposeResult:
        with Vertical():
            # Text, not markup: questions name clients and what visitors typed (issue 24).
            yield Label(self.question, id="choice-question", markup=False)
            if self.detail:
                yield Label(self.detail, id="choice-detail", markup=False)
            yield OptionList(
                *[Option(text, id=str(i)) for i, (text, _v) in enumerate(self.answers)],
                id="choice-answers",
            )

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        options.highlighted = 0
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        index = int(event.option.id or 0)
        self.dismiss(self.answers[index][1])

    def action_cancel(self) -> None:
        self.dismiss(None)


def confirm(question: str, yes: str, no: str = "Go back", *, detail: str = "") -> ChoiceModal[bool]:
    """A yes/no question whose first answer is ``no`` (enter never destroys by accident)."""
    return ChoiceModal(question, [(no, False), (yes, True)], detail=detail, id="confirm")


def scope_question(
    verb: str,
    *,
    question: str | None = None,
    labels: Sequence[str] | None = None,
    detail: str = "",
) -> ChoiceModal[Scope]:
    """ "This event", "this and following" or "all events" of a recurring series; ``question``
    and ``labels`` (three) word it for one event (``event_words.scope_labels``)."""
    texts = list(labels or ("This event", "This and following events", "All events"))
    return ChoiceModal(
        question or f"{verb} a recurring event",
        list(zip(texts, (Scope.THIS, Scope.FOLLOWING, Scope.ALL), strict=True)),
        detail=detail,
        id="scope",
    )
