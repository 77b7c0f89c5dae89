"""A small form in a modal: fields with their errors under them, saved in a thread worker.

Subclasses compose their fields with :meth:`FormModal.field_row` and :meth:`FormModal.error_line`,
read them in :meth:`FormModal.read` (raising :class:`ValidationError` for what can be told
without the database) and store them in :meth:`FormModal.store`, which runs in a thread and calls
a service. A refusal from the service is shown in words next to the field it names (or at the
bottom when it names none); the form stays open. Success dismisses the modal with the result.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar, cast

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Checkbox, Input, Label, Static

from sessions_tui.domain.errors import SessionsError, ValidationError
from sessions_tui.messages import ReportsWorkerFailures

if TYPE_CHECKING:
    from sessions_tui.app import SessionsApp
    from sessions_tui.services.context import Context

R = TypeVar("R")


class TickBox(Checkbox):
    """A checkbox whose mark is blank when off, so on and off differ without colour too
    (Textual draws an ``X`` in both states; a screen reader or a monochrome terminal could
    not tell them apart)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.BUTTON_INNER = "X" if self.value else " "

    def watch_value(self) -> None:
        self.BUTTON_INNER = "X" if self.value else " "
        super().watch_value()


class FormModal(ReportsWorkerFailures, ModalScreen[R | None], Generic[R]):
    """Base of the setup forms.

    | Key | Action |
    | --- | --- |
    | tab / shift+tab | Next / previous field |
    | enter (in a text field) or ctrl+s | Save |
    | escape | Leave with nothing changed |
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", id="form.save", tooltip="Save the form"),
        Binding(
            "escape", "cancel", "Cancel", id="form.cancel", tooltip="Leave with nothing changed"
        ),
    ]

    FIELDS: ClassVar[tuple[str, ...]] = ()
    """Field ids that have an error line (``<field>-error``)."""
    ALIASES: ClassVar[dict[str, str]] = {}
    """A service's ``ValidationError.field`` → this form's field id, where they differ."""

    DEFAULT_CSS = """
    FormModal { align: center middle; }
    FormModal > Vertical {
        width: 72; max-width: 100%; height: auto; max-height: 100%;
        border: thick $accent; background: $surface; padding: 0 1;
    }
    FormModal .form-title { text-style: bold; height: auto; padding: 0 0 1 0; }
    FormModal .form-hint { color: $text-muted; height: auto; }
    FormModal .row { height: auto; }
    FormModal .field-label { width: 16; height: 1; padding: 0 1 0 0; }
    FormModal Input { width: 1fr; }
    FormModal .error { color: $error; height: auto; margin: 0 0 0 16; }
    FormModal .error.-empty { display: none; }
    FormModal #form-error { margin: 0; }
    FormModal .buttons { height: auto; margin: 1 0 0 16; }
    FormModal .buttons Button { margin: 0 2 0 0; min-width: 12; }
    """

    class Saved(Message):
        """The store worker finished; ``result`` is what the service returned."""

        def __init__(self, result: Any) -> None:
            super().__init__()
            self.result = result

    class Failed(Message):
        """The service refused; ``error`` says why (and which field, if any)."""

        def __init__(self, error: SessionsError) -> None:
            super().__init__()
            self.error = error

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.saving = False

    # --- building blocks for subclasses ------------------------------------------------------

    def field_row(self, label: str, widget: Widget, *extra: Widget) -> Horizontal:
        """A label and its field on one line."""
        return Horizontal(Label(label, classes="field-label"), widget, *extra, classes="row")

    @staticmethod
    def error_line(name: str) -> Static:
        return Static("", id=f"{name}-error", classes="error -empty")

    def buttons(self) -> Iterator[Widget]:
        yield Static("", id="form-error", classes="error -empty")
        yield Horizontal(
            Button("Save", id="form-save", variant="primary", compact=True),
            Button("Cancel", id="form-cancel", compact=True),
            classes="buttons",
        )

    def compose(self) -> ComposeResult:
        with Vertical(id="form-body"):
            yield from self.compose_fields()
            yield from self.buttons()

    def compose_fields(self) -> ComposeResult:
        """The form's own widgets (title, fields, error lines)."""
        yield from ()

    # --- errors ------------------------------------------------------------------------------

    def set_error(self, name: str, message: str) -> None:
        for line in self.query(f"#{name}-error"):
            assert isinstance(line, Static)
            line.update(f"✗ {message}" if message else "")
            line.set_class(not message, "-empty")

    def clear_errors(self) -> None:
        for name in (*self.FIELDS, "form"):
            self.set_error(name, "")

    def show_error(self, error: SessionsError) -> None:
        """Put ``error`` next to its field (and focus that field), else at the bottom."""
        name = self.ALIASES.get(error.field or "", error.field or "")
        if name in self.FIELDS and self.query(f"#{name}-error"):
            self.set_error(name, error.message)
            target = self.query(f"#{name}")
            if target and target.first().focusable:
                target.first().focus()
        else:
            self.set_error("form", error.message)

    # --- saving ------------------------------------------------------------------------------

    def read(self) -> Any:
        """The values to store, read from the fields on the main thread."""
        raise NotImplementedError

    def store(self, ctx: Context, values: Any) -> R:
        """Store ``values`` by calling a service as ``ctx.actor``; runs in a thread."""
        raise NotImplementedError

    def action_save(self) -> None:
        if self.saving:
            return
        self.clear_errors()
        try:
            values = self.read()
        except ValidationError as exc:
            self.show_error(exc)
            return
        self.saving = True
        self.run_store(cast("SessionsApp", self.app).ctx, values)

    @work(
        thread=True,
        exclusive=True,
        group="form-store",
        exit_on_error=False,
        description="Save the form",
    )
    def run_store(self, ctx: Context, values: Any) -> None:
        try:
            result = self.store(ctx, values)
        except SessionsError as exc:
            self.post_message(self.Failed(exc))
            return
        except Exception as exc:  # the database went away: say so, keep the form open
            self.post_message(self.Failed(SessionsError(f"could not save: {exc}")))
            return
        self.post_message(self.Saved(result))

    def on_form_modal_saved(self, message: FormModal.Saved) -> None:
        self.saving = False
        self.dismiss(message.result)

    def on_form_modal_failed(self, message: FormModal.Failed) -> None:
        self.saving = False
        self.show_error(message.error)

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#form-save")
    def _save_pressed(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#form-cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()

    @on(Input.Submitted)
    def _enter_pressed(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()
