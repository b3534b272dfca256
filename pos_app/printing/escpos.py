"""Direct ESC/POS output to a thermal receipt printer (python-escpos).

Configured by the store setting ``escpos_device`` (or ``POS_ESCPOS``): ``file:/dev/usb/lp0``,
``network:192.168.1.50[:9100]``, ``usb:VID:PID``, or ``dummy`` (keeps the bytes, for tests). Chinese text
is sent in GB18030 after ``FS &`` (Chinese character mode), which the common Chinese 58/80 mm printers
understand; the QR code uses the printer's native QR command (``GS ( k``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from escpos.exceptions import Error as EscposError
from escpos.printer import Dummy, File, Network, Usb

from pos_app.domain.errors import InvalidInput
from pos_app.printing import pdf

INIT = b"\x1b@"
CHINESE_ON = b"\x1c&"
ENCODING = "gb18030"
COLUMNS = {58: 32, 80: 48}


#: seconds to wait for a network printer (python-escpos's default is a minute)
NETWORK_TIMEOUT = 10


def open_printer(device: str) -> Any:
    """The printer for a device setting. A malformed setting is refused here with a message naming the
    accepted forms; the device itself is opened on the first write (see :func:`printer_errors`)."""
    kind, _, rest = str(device or "").strip().partition(":")
    if kind == "dummy" and not rest:
        return Dummy()
    if kind == "file" and rest.strip():
        return File(rest)
    if kind == "network":
        host, _, port = rest.partition(":")
        if host.strip() and (not port or (port.isascii() and port.isdigit() and 0 < int(port) < 65536)):
            return Network(host.strip(), int(port or 9100), timeout=NETWORK_TIMEOUT)
    if kind == "usb":
        vid, _, pid = rest.partition(":")
        try:
            return Usb(int(vid, 16), int(pid, 16))
        except ValueError:
            pass
        except (OSError, EscposError) as exc:
            raise InvalidInput("escpos.failed", device=device, detail=_detail(exc)) from None
    raise InvalidInput("escpos.device_invalid", device=str(device))


def _detail(exc: BaseException) -> str:
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return " ".join(str(text).split())[:200]


@contextmanager
def printer_errors(device: str) -> Iterator[None]:
    """A printer that cannot be reached or written (no such port, refused, unplugged, full) is one
    translated refusal, never a traceback."""
    try:
        yield
    except (OSError, EscposError) as exc:
        raise InvalidInput("escpos.failed", device=device, detail=_detail(exc)) from None


def _text(p: Any, text: str) -> None:
    p._raw(text.encode(ENCODING, errors="replace"))


def _line(p: Any, text: str = "", *, align: str = "left", double: bool = False) -> None:
    p.set(align=align, double_height=double, double_width=double)
    _text(p, text + "\n")


def print_coupons(p: Any, coupons: list[Any], store: str, *, width_mm: int = 58, cut: bool = True) -> None:
    """One slip per coupon: store, name, value, conditions, validity, QR code and grouped code."""
    cols = COLUMNS.get(width_mm, 32)
    p._raw(INIT + CHINESE_ON)
    for cp in coupons:
        _line(p, store, align="center", double=True)
        _line(p, "-" * cols)
        _line(p, cp.name, align="center")
        _line(p, pdf.value_text(cp), align="center", double=True)
        for t in pdf.condition_lines(cp):
            _line(p, t, align="center")
        _line(p, pdf.validity_text(cp), align="center")
        _line(p, pdf.holder_text(cp), align="center")
        p.set(align="center")
        p.qr(cp.raw_code, native=True, size=6, center=False)
        _line(p, cp.code, align="center")
        _line(p, "-" * cols)
        if cut:
            p.cut()


def print_receipt(p: Any, r: Any, store: str, *, width_mm: int = 58, tz: str = "Asia/Shanghai", cut: bool = True) -> None:
    cols = COLUMNS.get(width_mm, 32)
    p._raw(INIT + CHINESE_ON)
    for b in pdf.receipt_blocks(r, store, tz=tz, width_mm=width_mm):
        if isinstance(b, pdf.Rule):
            _line(p, "-" * cols)
        elif isinstance(b, pdf.Line):
            if b.align == "pair":
                label, _, value = b.text.partition("\t")
                gap = max(1, cols - _width(label) - _width(value))
                _line(p, label + " " * gap + value)
            else:
                _line(p, b.text, align="center" if b.align == "center" else "left", double=b.size >= 11)
    if cut:
        p.cut()


def _width(text: str) -> int:
    """Printer columns: a CJK character takes two."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)
