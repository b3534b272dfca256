"""The settings dialog (Ctrl+,): this computer's settings (every key of the TOML config file, ``pos_app.config``,
the language and the idle lock among them) on one page, the store's settings (``services.store_settings``, shared
by every counter of the store) on the other.

- Every value is checked when OK is pressed, each refusal shown under its field with its key named; nothing is
  saved while one is refused.
- A key set by an environment variable (``POS_*``) is shown read-only with the variable's name: the file's value
  would not apply. A store setting this computer sets (its ``POS_*`` variable or the config file's ``[store]``
  table) is shown read-only with where it is set: the store database's value would not apply here.
- The config file is written atomically and owner-only (``config.save``); one that cannot be read is reported
  and never written over.
- Store settings are a manager's: a cashier or staff member who changes one is asked for a manager's PIN when
  saving, and the change is audited as theirs, approved by that manager.

Keyboard: Alt+L / Alt+M reach the language and the lock time, Tab goes through the fields, Ctrl+Tab switches
page, Enter saves (OK), Esc cancels.
"""

from __future__ import annotations

import os
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from pos_app import config, messages
from pos_app.domain.errors import DomainError
from pos_app.domain.money import fen_to_yuan_str, parse_yuan
from pos_app.services.store_settings import STORE_KEYS, check_store_setting
from pos_app.ui.common import error_text, tr

#: the config keys the language combo box and the lock time spin box stand for (not a line of their own)
OWN_WIDGET_KEYS = ("lang", "lock_minutes")


class SettingsDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        from pos_app.ui.main import LANG_NAMES, saved_lock_minutes  # noqa: PLC0415  (main imports this module)

        super().__init__(parent)
        self.appctx: Any = getattr(parent, "appctx", None)
        self.setWindowTitle(tr("settings.title"))
        outer = QVBoxLayout(self)
        self.error = QLabel("")
        self.error.setObjectName("settings_error")
        self.error.setWordWrap(True)
        self.error.hide()
        outer.addWidget(self.error)
        self.pages = QTabWidget()
        self.pages.setObjectName("settings_pages")
        outer.addWidget(self.pages, 1)

        # ------------------------------------------------------------- this computer
        page = QWidget()
        form = QFormLayout(page)
        self.pages.addTab(page, tr("settings.page_computer"))
        self.overrides = config.env_overrides()
        self.file_error: DomainError | None = None
        try:
            self.file_values: dict[str, Any] = config.read_file()
        except DomainError as exc:  # unreadable: said so, and this page saves nothing over it
            self.file_values = {}
            self.file_error = exc
        self.lang = QComboBox()
        self.lang.setObjectName("lang")
        for code in messages.LANGS:
            self.lang.addItem(LANG_NAMES.get(code, code), code)
        self.lang.setCurrentIndex(list(messages.LANGS).index(messages.language()))
        self.lang_label = QLabel(tr("settings.language_mn"))
        self.lang_label.setBuddy(self.lang)
        form.addRow(self.lang_label, self.lang)
        if "lang" in self.overrides:
            self.lang.setEnabled(False)
            form.addRow("", self._note(tr("settings.env_override", env=self.overrides["lang"])))
        self.lock_minutes = QSpinBox()
        self.lock_minutes.setObjectName("lock_minutes")
        self.lock_minutes.setRange(0, config.MAX_LOCK_MINUTES)
        self.lock_minutes.setSuffix(tr("settings.minutes_suffix"))
        self.lock_minutes.setSpecialValueText(tr("settings.never"))
        self.lock_initial = saved_lock_minutes()
        self.lock_minutes.setValue(self.lock_initial)
        self.lock_label = QLabel(tr("settings.lock_minutes_mn"))
        self.lock_label.setBuddy(self.lock_minutes)
        form.addRow(self.lock_label, self.lock_minutes)
        if "lock_minutes" in self.overrides:
            self.lock_minutes.setEnabled(False)
            form.addRow("", self._note(tr("settings.env_override", env=self.overrides["lock_minutes"])))
        elif self.file_error is not None:
            self.lock_minutes.setEnabled(False)
        self.lock_error = self._error_label("config_lock_minutes")
        form.addRow("", self.lock_error)
        self.fields: dict[str, QLineEdit] = {}
        self.errors: dict[str, QLabel] = {}
        self.errors["lock_minutes"] = self.lock_error
        defaults = config.defaults()
        for key in config.KEYS:
            if key.name in OWN_WIDGET_KEYS:
                continue
            edit = QLineEdit()
            edit.setObjectName(f"config_{key.name}")
            if key.name in self.overrides:
                edit.setText(os.environ.get(key.env, ""))
                edit.setReadOnly(True)
                edit.setToolTip(tr("settings.env_override", env=key.env))
            else:
                value = self.file_values.get(key.name)
                edit.setText("" if value is None else str(value))
                if defaults[key.name] is not None:
                    edit.setPlaceholderText(str(defaults[key.name]))
                edit.setEnabled(self.file_error is None)
            self.fields[key.name] = edit
            label = QLabel(f"{tr(key.label)} ({key.name})")
            label.setBuddy(edit)
            form.addRow(label, edit)
            if key.name in self.overrides:
                form.addRow("", self._note(tr("settings.env_override", env=key.env)))
            err = self._error_label(f"config_{key.name}")
            self.errors[key.name] = err
            form.addRow("", err)
        from pos_app.ui.jobs import backup_row  # noqa: PLC0415

        form.addRow(*backup_row(self.appctx, self))
        path_note = self._note(tr("settings.file", path=str(config.config_file())))
        form.addRow(path_note)
        if self.file_error is not None:
            self.show_error(self.file_error)

        # ------------------------------------------------------------- the store
        store_page = QWidget()
        sform = QFormLayout(store_page)
        self.pages.addTab(store_page, tr("settings.page_store"))
        self.store_code = QLabel("")
        self.store_code.setObjectName("store_code")
        sform.addRow(QLabel(tr("settings.store_code")), self.store_code)
        self.store_fields: dict[str, QWidget] = {}
        self.store_errors: dict[str, QLabel] = {}
        self.store_notes: dict[str, QLabel] = {}
        #: the store settings this computer sets (env or config file): read-only here
        self.store_overrides: dict[str, str] = {}
        for sk in STORE_KEYS:
            widget: QWidget
            if sk.kind == "choice":
                box = QComboBox()
                for choice in sk.choices:
                    box.addItem(choice, choice)
                widget = box
            elif sk.kind == "flag":
                widget = QCheckBox()
            else:
                widget = QLineEdit()
            widget.setObjectName(f"store_{sk.name}")
            widget.setEnabled(False)  # until the store's values are read
            self.store_fields[sk.name] = widget
            label = QLabel(f"{tr(sk.label)}{' (¥)' if sk.kind == 'money' else ''} ({sk.name})")
            label.setBuddy(widget)
            sform.addRow(label, widget)
            note = self._note("")
            note.setObjectName(f"store_override_{sk.name}")
            note.hide()
            self.store_notes[sk.name] = note
            sform.addRow("", note)
            err = self._error_label(f"store_{sk.name}")
            self.store_errors[sk.name] = err
            sform.addRow("", err)
        self.store_hint = self._note("")
        sform.addRow(self.store_hint)
        self.store_values: dict[str, object] | None = None
        self.saving = False

        hint = QLabel(tr("settings.keys_hint"))
        hint.setObjectName("hint")
        hint.setWordWrap(True)
        outer.addWidget(hint)
        box_ = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = box_.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(tr("settings.ok"))
        self.ok_button.setDefault(True)
        self.cancel_button = box_.button(QDialogButtonBox.StandardButton.Cancel)
        self.cancel_button.setText(tr("ui.cancel_esc"))
        box_.accepted.connect(self.accept)
        box_.rejected.connect(self.reject)
        outer.addWidget(box_)
        for button in self.pages.findChildren(QPushButton):  # Enter always saves; a button is pressed by Space
            button.setAutoDefault(False)
        self.setTabOrder(self.lang, self.lock_minutes)
        self.lang.setFocus()
        self._load_store()

    # ------------------------------------------------------------------ pieces
    @staticmethod
    def _note(text: str) -> QLabel:
        label = QLabel(text)
        label.setObjectName("hint")
        label.setWordWrap(True)
        return label

    @staticmethod
    def _error_label(name: str) -> QLabel:
        label = QLabel("")
        label.setObjectName(f"error_{name}")
        label.setProperty("error", True)
        label.setStyleSheet("color: #b00020;")
        label.setWordWrap(True)
        label.hide()
        return label

    def show_error(self, exc: BaseException | None) -> None:
        self.error.setText(error_text(exc) if exc is not None else "")
        self.error.setVisible(exc is not None)

    def _set_row_error(self, label: QLabel, exc: BaseException | None) -> None:
        label.setText(error_text(exc) if exc is not None else "")
        label.setVisible(exc is not None)

    # ------------------------------------------------------------------ the store's values
    def _load_store(self) -> None:
        appctx = self.appctx
        if appctx is None or not appctx.has_ctx or not appctx.has_actor:
            self.store_hint.setText(tr("settings.store_login"))
            return
        from pos_app.services import store_settings  # noqa: PLC0415

        ctx, actor = appctx.ctx, appctx.actor
        appctx.run(lambda: store_settings.read_store_settings(ctx, actor), self._store_loaded, self._store_failed,
                   key="settings-read")

    def _store_loaded(self, view: Any) -> None:
        self.store_code.setText(view.store_code)
        self.store_values = dict(view.values)
        for sk in STORE_KEYS:
            widget = self.store_fields[sk.name]
            value = view.values.get(sk.name)
            if isinstance(widget, QComboBox):
                idx = widget.findData(value)
                widget.setCurrentIndex(max(idx, 0))
            elif isinstance(widget, QCheckBox):
                widget.setChecked(bool(value))
            elif isinstance(widget, QLineEdit):
                if sk.kind == "money" and isinstance(value, int):
                    widget.setText(fen_to_yuan_str(value))
                else:
                    widget.setText("" if value is None else str(value))
            where = view.overrides.get(sk.name)
            widget.setEnabled(where is None)
            if where is not None:
                self.store_notes[sk.name].setText(tr("settings.local_override", where=where))
                self.store_notes[sk.name].show()
        self.store_overrides = dict(view.overrides)
        manager = self.appctx.actor.role == "manager"
        self.store_hint.setText("" if manager else tr("settings.store_needs_manager"))

    def _store_failed(self, exc: BaseException) -> None:
        self.store_hint.setText(error_text(exc))

    def store_changes(self) -> tuple[dict[str, object], bool]:
        """The store settings changed in the form, each checked (errors shown under their fields); and whether
        all passed."""
        changes: dict[str, object] = {}
        ok = True
        if self.store_values is None:
            return changes, ok
        for sk in STORE_KEYS:
            if sk.name in self.store_overrides:
                continue  # set on this computer: the database's value would not apply
            widget = self.store_fields[sk.name]
            text = str(widget.currentData()) if isinstance(widget, QComboBox) else (
                widget.text() if isinstance(widget, QLineEdit) else "")
            try:
                value: object = widget.isChecked() if isinstance(widget, QCheckBox) else text
                if sk.kind == "money":
                    value = parse_yuan(text.strip(), field="amount") if text.strip() else ""
                value = check_store_setting(sk.name, value)
                self._set_row_error(self.store_errors[sk.name], None)
            except DomainError as exc:
                self._set_row_error(self.store_errors[sk.name], exc)
                ok = False
                continue
            if value != self.store_values.get(sk.name):
                changes[sk.name] = value
        return changes, ok

    # ------------------------------------------------------------------ this computer's values
    def config_changes(self) -> tuple[dict[str, object], bool]:
        changes: dict[str, object] = {}
        ok = True
        if self.file_error is not None:
            return changes, ok
        for name, edit in self.fields.items():
            if name in self.overrides or name in OWN_WIDGET_KEYS:
                continue
            text = edit.text().strip()
            try:
                value = config.check(name, text) if text else None
                self._set_row_error(self.errors[name], None)
            except DomainError as exc:
                self._set_row_error(self.errors[name], exc)
                ok = False
                continue
            if value != self.file_values.get(name):
                changes[name] = value
        lang = self.lang.currentData()
        if "lang" not in self.overrides and lang != (self.file_values.get("lang") or messages.language()):
            changes["lang"] = lang
        if "lock_minutes" not in self.overrides:
            try:
                minutes = config.check("lock_minutes", self.lock_minutes.value())
                self._set_row_error(self.lock_error, None)
                if minutes != self.lock_initial:
                    changes["lock_minutes"] = minutes
            except DomainError as exc:
                self._set_row_error(self.lock_error, exc)
                ok = False
        return changes, ok

    # ------------------------------------------------------------------ saving
    def accept(self) -> None:
        if self.saving:
            return
        cfg, cfg_ok = self.config_changes()
        store, store_ok = self.store_changes()
        if not (cfg_ok and store_ok):
            self.show_error(None)
            for page, labels in ((0, self.errors), (1, self.store_errors)):
                if any(lbl.isVisible() or lbl.text() for lbl in labels.values()):
                    self.pages.setCurrentIndex(page)
                    break
            return
        if not store:
            self._finish(cfg)
            return
        actor = self.appctx.actor
        who = actor
        if actor.role != "manager":
            who = self.appctx.ask_manager(tr("settings.approve_reason")) if self.appctx.ask_manager else None
            if who is None:
                self.show_error(None)
                self.error.setText(tr("settings.store_not_saved"))
                self.error.show()
                return
        from pos_app.services import staff  # noqa: PLC0415
        from pos_app.services.context import Actor  # noqa: PLC0415

        ctx = self.appctx.ctx
        approver = Actor.approving(who, actor)
        self.saving = True
        self.ok_button.setEnabled(False)
        self.appctx.run(lambda: staff.update_settings(ctx, approver, **store),
                        lambda _res: self._store_saved(cfg), self._store_refused)

    def _store_saved(self, cfg: dict[str, object]) -> None:
        self.saving = False
        self.ok_button.setEnabled(True)
        self._finish(cfg)

    def _store_refused(self, exc: BaseException) -> None:
        self.saving = False
        self.ok_button.setEnabled(True)
        setting = getattr(exc, "params", {}).get("setting") if isinstance(exc, DomainError) else None
        if setting in self.store_errors:
            self._set_row_error(self.store_errors[str(setting)], exc)
            self.pages.setCurrentIndex(1)
        else:
            self.show_error(exc)

    def _finish(self, cfg: dict[str, object]) -> None:
        if cfg:
            try:
                config.save(cfg)
            except (DomainError, OSError) as exc:
                if isinstance(exc, OSError):
                    self.error.setText(tr("settings.save_failed", path=str(config.config_file()), detail=str(exc)))
                    self.error.show()
                else:
                    self.show_error(exc)
                return
        super().accept()
