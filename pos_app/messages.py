"""Translated user-facing messages for DomainError keys (zh_CN default, en).

The Qt UI uses these too (through ``tr_error``) so a refusal reads the same in the GUI and the CLI.
Feature modules add their keys with :func:`register`."""

from __future__ import annotations

import os
from typing import Any

from pos_app.domain.errors import DomainError
from pos_app.domain.money import format_fen

DEFAULT_LANG = "zh_CN"
LANGS = ("zh_CN", "en")

#: parameters that are money in fen and are shown as ¥1,234.50
MONEY_PARAMS = {"amount", "balance", "cap", "room", "after", "pay", "max", "min_spend", "value"}

MESSAGES: dict[str, dict[str, str]] = {
    "zh_CN": {
        "error.generic": "操作失败",
        "error.invalid_input": "输入无效",
        "error.not_found": "未找到",
        "error.permission_denied": "当前账号（{role}）无权执行此操作",
        "error.conflict": "操作冲突，请重试",
        "error.state": "当前状态不允许此操作",
        "auth.failed": "工号或密码错误",
        "auth.required": "请先登录（工号和密码）",
        "money.invalid": "金额格式不正确：{value}",
        "money.negative": "金额不能为负数：{value}",
        "money.zero": "金额必须大于零",
        "money.absurd": "金额过大：{value}（上限 {max}）",
        "money.missing": "请输入金额",
        "percent.invalid": "百分比格式不正确：{value}",
        "member.phone_invalid": "手机号格式不正确：{phone}（应为 11 位大陆手机号）",
        "member.phone_taken": "手机号 {phone} 已注册为会员",
        "member.name_too_long": "姓名过长（最多 {max_chars} 个字）",
        "member.code_invalid": "会员码无效：{code}",
        "member.invite_code_invalid": "邀请码格式不正确：{code}",
        "member.invite_code_unknown": "邀请码不存在：{code}",
        "member.self_invite": "不能邀请自己",
        "member.unknown": "未找到会员：{query}",
        "member.query_missing": "请输入手机号或会员码",
        "member.code_exhausted": "无法生成会员码，请重试",
        "request.id_invalid": "请求编号无效：{request_id}",
        "request.reused": "请求编号 {request_id} 已用于其他操作",
        "store.not_initialised": "数据库尚未初始化，请先运行 pos-app init",
        "store.busy_app": "收银程序正在使用此门店数据库（{db}，进程 {pid}，自 {since} UTC 起）：请在收银程序中操作，或先关闭它再运行命令",
        "store.busy_command": "另一个 pos-app 命令正在使用此门店数据库（{db}）：请等它结束后再打开收银程序",
        "store.file_changed": "门店数据库文件被其他程序改动或删除（{db}）：本次操作未写入，程序已重新打开数据库，请重试",
        "store.write_busy": "门店数据库正忙（另一个程序正在写入，已等待 {seconds} 秒）：未写入任何内容，请稍后重试",
        "store.missing": "这里没有门店数据库：{db}（新建请用 pos-app init 或 pos-app demo）",
        "store.path_invalid": "门店数据库路径无效：“{db}”",
        "store.too_new": "此门店数据库由更新版本的 pos_app 创建（数据库版本 {version}，本程序只认识到 {known}）：请升级程序；数据库未被改动",
        "staff.pin_invalid": "密码须为 4–8 位数字",
        "staff.code_invalid": "工号无效：{code}",
        "staff.code_taken": "工号 {code} 已存在",
        "staff.role_invalid": "角色无效：{role}（可选：{allowed}）",
        "staff.unknown": "未找到员工：{code}",
        "staff.cannot_disable_self": "不能停用自己的账号",
        "wallet.insufficient": "余额不足：需支付 {amount}，可用余额 {balance}",
        "wallet.cap_exceeded": "充值后余额 {after} 将超过储值上限 {cap}（当前余额 {balance}，最多还可充值 {room}）",
        "wallet.negative": "余额不能为负数",
        "wallet.spend_order_invalid": "扣款顺序配置无效：{order}",
        "wallet.pay_method_invalid": "支付方式无效：{pay}（可选：{allowed}）",
        "campaign.none_active": "当前没有进行中的活动，不能按档位充值",
        "campaign.tier_unknown": "活动 {campaign} 中没有档位 {tier}",
        "campaign.tier_amount_short": "金额不足档位 {tier} 的充值金额 {pay}",
        "campaign.bad_field": "活动配置字段 {field} 的值无效：{value}",
        "campaign.missing_field": "活动配置缺少字段：{field}",
        "campaign.window_invalid": "活动结束日期 {ends} 早于开始日期 {starts}",
        "campaign.duplicate_tier": "档位代码重复：{tier}",
        "campaign.duplicate_tier_price": "两个档位的充值金额相同",
        "campaign.file_invalid": "活动文件 {path} 格式错误：{detail}",
        "campaign.unknown": "未找到活动：{campaign}",
        "file.not_found": "文件不存在：{path}",
        "recharge.unknown": "未找到充值记录：{recharge_id}",
        "refund.already": "该笔充值已退款",
        "refund.nothing_left": "该笔充值已无可退金额",
        "points.invalid": "积分数量无效：{points}",
        "points.insufficient": "积分不足：需要 {points}，可用 {available}",
        # --- command-line hardening (issue 9: demo, campaign checks, files, free text) ---
        "text.bad_character": "{field}含有不允许的控制字符（{char}），请删除后重试",
        "text.too_long": "{field}过长（最多 {max_chars} 个字）",
        "text.required": "请填写{field}",
        "text.not_unicode": "参数不是有效的 UTF-8 文本：{value}（请将终端编码设为 UTF-8）",
        "demo.has_data": "数据库已有数据，示范数据未载入（店长可用 --reload --staff 工号 --pin 密码 重新载入示范数据）",
        "demo.reload_needs_login": "重新载入示范数据需店长登录（--staff 工号 --pin 密码）",
        "demo.reload_or_if_empty": "--reload 与 --if-empty 不能同时使用",
        "campaign.ended": "活动 {campaign} 已于 {ends} 结束，不能按档位充值",
        "campaign.not_started": "活动 {campaign} 将于 {starts} 开始，现在不能按档位充值",
        "campaign.tier_case_clash": "档位代码 {tier} 与 {other} 只有大小写不同",
        "campaign.bonus_too_large": "档位 {tier} 的赠送金 {value} 超过充值金额 {pay} 的 {max_percent}%（可用 campaign.max_bonus_percent 调整）",
        "campaign.unknown_gift": "活动中的赠品 {sku}（{where}）不在礼品目录中，请先用 pos-app gift add 添加",
        "campaign.overlaps": "活动 {campaign}（{starts} ~ {ends}）与已有活动 {other}（{other_starts} ~ {other_ends}）时间重叠；重叠期间只有开始最晚的活动生效。确需如此请加 --replace",
        "campaign.superseded": "（重叠期间由 {other} 生效）",
        "file.is_directory": "输出路径是一个文件夹：{path}",
        "file.no_folder": "输出文件夹不存在：{path}",
        "file.symlink": "输出路径是符号链接：{path}（加 --force 覆盖其指向的文件）",
        "file.write_failed": "无法写入文件 {path}：{detail}",
        "file.read_failed": "无法读取文件 {path}：{detail}",
        "file.too_deep": "文件 {path} 嵌套过深，无法读取",
        "os.error": "系统错误：{detail}",
        "db.read_only": "数据库是只读的，无法写入：{db}",
        "escpos.device_invalid": "打印机设备无效：{device}（可用 file:/dev/usb/lp0、network:主机[:端口]、usb:VID:PID）",
        "escpos.failed": "无法连接打印机 {device}：{detail}",
        "gift.handout_qty_invalid": "发放数量无效：{qty}（至少 1）",
        "stocktake.file_invalid": "盘点表 {path} 无法读取：{detail}",
    },
    "en": {
        "error.generic": "The operation failed",
        "error.invalid_input": "Invalid input",
        "error.not_found": "Not found",
        "error.permission_denied": "Your role ({role}) may not do this",
        "error.conflict": "Conflicting operation, please retry",
        "error.state": "Not allowed in the current state",
        "auth.failed": "Wrong staff code or PIN",
        "auth.required": "Please log in (staff code and PIN)",
        "money.invalid": "Not a valid amount: {value}",
        "money.negative": "The amount cannot be negative: {value}",
        "money.zero": "The amount must be more than zero",
        "money.absurd": "Amount too large: {value} (at most {max})",
        "money.missing": "Please enter an amount",
        "percent.invalid": "Not a valid percentage: {value}",
        "member.phone_invalid": "Not a valid mobile number: {phone} (11 digits, mainland China)",
        "member.phone_taken": "{phone} is already a member",
        "member.name_too_long": "Name too long (at most {max_chars} characters)",
        "member.code_invalid": "Not a valid member code: {code}",
        "member.invite_code_invalid": "Not a valid invite code: {code}",
        "member.invite_code_unknown": "No member has the invite code {code}",
        "member.self_invite": "A member cannot invite themselves",
        "member.unknown": "No member found: {query}",
        "member.query_missing": "Enter a phone number or member code",
        "member.code_exhausted": "Could not generate a member code, please retry",
        "request.id_invalid": "Invalid request id: {request_id}",
        "request.reused": "Request id {request_id} was already used for another operation",
        "store.not_initialised": "The database is not initialised: run pos-app init first",
        "store.busy_app": "The counter app has this store open ({db}, process {pid}, since {since} UTC): do it in the app, or close the app and run the command again",
        "store.busy_command": "Another pos-app command is using this store ({db}): wait until it ends, then open the counter app",
        "store.file_changed": "The store file was changed or deleted by another program ({db}): nothing was written; the store was opened again, please retry",
        "store.write_busy": "The store is busy (another program is writing; waited {seconds} s): nothing was written, try again in a moment",
        "store.missing": "There is no store database here: {db} (make one with pos-app init or pos-app demo)",
        "store.path_invalid": "Not a valid store database path: \"{db}\"",
        "store.too_new": "This store was written by a newer pos_app (database version {version}; this program knows up to {known}): update the program; the store was not touched",
        "staff.pin_invalid": "The PIN must be 4 to 8 digits",
        "staff.code_invalid": "Invalid staff code: {code}",
        "staff.code_taken": "Staff code {code} already exists",
        "staff.role_invalid": "Invalid role: {role} (one of: {allowed})",
        "staff.unknown": "No staff member {code}",
        "staff.cannot_disable_self": "You cannot disable your own account",
        "wallet.insufficient": "Insufficient balance: {amount} needed, {balance} available",
        "wallet.cap_exceeded": "The balance after this recharge, {after}, would pass the cap of {cap} (balance {balance}, room {room})",
        "wallet.negative": "A balance cannot go negative",
        "wallet.spend_order_invalid": "Invalid spend order setting: {order}",
        "wallet.pay_method_invalid": "Invalid payment method: {pay} (one of: {allowed})",
        "campaign.none_active": "No campaign is running: a tier cannot be chosen",
        "campaign.tier_unknown": "Campaign {campaign} has no tier {tier}",
        "campaign.tier_amount_short": "The amount is less than tier {tier}'s price {pay}",
        "campaign.bad_field": "Invalid value for campaign field {field}: {value}",
        "campaign.missing_field": "The campaign is missing the field {field}",
        "campaign.window_invalid": "The campaign ends ({ends}) before it starts ({starts})",
        "campaign.duplicate_tier": "Duplicate tier code: {tier}",
        "campaign.duplicate_tier_price": "Two tiers have the same price",
        "campaign.file_invalid": "Campaign file {path} is not valid: {detail}",
        "campaign.unknown": "No campaign {campaign}",
        "file.not_found": "No such file: {path}",
        "recharge.unknown": "No recharge {recharge_id}",
        "refund.already": "This recharge has already been refunded",
        "refund.nothing_left": "Nothing is left to refund on this recharge",
        "points.invalid": "Invalid number of points: {points}",
        "points.insufficient": "Not enough points: {points} needed, {available} available",
        # --- command-line hardening (issue 9: demo, campaign checks, files, free text) ---
        "text.bad_character": "The {field} contains a control character that is not allowed ({char}); remove it and retry",
        "text.too_long": "The {field} is too long (at most {max_chars} characters)",
        "text.required": "Please give the {field}",
        "text.not_unicode": "An argument is not valid UTF-8 text: {value} (set the terminal's encoding to UTF-8)",
        "demo.has_data": "The database already has data; the demo was not loaded (a manager may reload the demo data with --reload --staff CODE --pin PIN)",
        "demo.reload_needs_login": "Reloading the demo needs a manager's login (--staff CODE --pin PIN)",
        "demo.reload_or_if_empty": "--reload and --if-empty do not go together",
        "campaign.ended": "Campaign {campaign} ended on {ends}: a tier cannot be chosen",
        "campaign.not_started": "Campaign {campaign} starts on {starts}: a tier cannot be chosen yet",
        "campaign.tier_case_clash": "Tier codes {tier} and {other} differ only in case",
        "campaign.bonus_too_large": "Tier {tier}'s bonus {value} is more than {max_percent}% of its price {pay} (campaign.max_bonus_percent sets the limit)",
        "campaign.unknown_gift": "The campaign's gift {sku} ({where}) is not in the gift catalogue: add it first with pos-app gift add",
        "campaign.overlaps": "Campaign {campaign} ({starts} ~ {ends}) overlaps campaign {other} ({other_starts} ~ {other_ends}); while they overlap only the one that starts last applies. Add --replace if that is intended",
        "campaign.superseded": "(while they overlap, {other} applies)",
        "file.is_directory": "The output path is a folder: {path}",
        "file.no_folder": "The output folder does not exist: {path}",
        "file.symlink": "The output path is a symbolic link: {path} (add --force to overwrite the file it points to)",
        "file.write_failed": "Could not write {path}: {detail}",
        "file.read_failed": "Could not read {path}: {detail}",
        "file.too_deep": "File {path} is nested too deeply to read",
        "os.error": "System error: {detail}",
        "db.read_only": "The database is read-only; nothing was written: {db}",
        "escpos.device_invalid": "Invalid printer device: {device} (file:/dev/usb/lp0, network:HOST[:PORT] or usb:VID:PID)",
        "escpos.failed": "Could not reach the printer {device}: {detail}",
        "gift.handout_qty_invalid": "Invalid quantity to hand out: {qty} (at least 1)",
        "stocktake.file_invalid": "Cannot read the stocktake sheet {path}: {detail}",
    },
}

ROLE_NAMES = {
    "zh_CN": {"cashier": "收银员", "staff": "店员", "manager": "店长"},
    "en": {"cashier": "cashier", "staff": "staff", "manager": "manager"},
}

#: the free-text fields a refusal names (``field`` parameter); other field names are shown as they are
FIELD_NAMES = {
    "zh_CN": {"name": "姓名", "note": "备注", "reason": "原因", "barcode": "条码", "supplier": "供应商",
              "reference": "单号", "store": "门店"},
    "en": {"name": "name", "note": "note", "reason": "reason", "barcode": "barcode", "supplier": "supplier",
           "reference": "reference", "store": "store"},
}

_current_lang = os.environ.get("POS_LANG", DEFAULT_LANG)


def register(lang: str, messages: dict[str, str]) -> None:
    MESSAGES.setdefault(lang, {}).update(messages)


def set_language(lang: str) -> None:
    global _current_lang
    _current_lang = lang if lang in LANGS else DEFAULT_LANG


def language() -> str:
    return _current_lang


def translate(key: str, params: dict[str, Any] | None = None, lang: str | None = None) -> str:
    lang = lang or _current_lang
    table = MESSAGES.get(lang) or MESSAGES[DEFAULT_LANG]
    template = table.get(key) or MESSAGES["en"].get(key) or key
    shown: dict[str, Any] = {}
    for k, v in (params or {}).items():
        if k in MONEY_PARAMS and isinstance(v, int) and not isinstance(v, bool):
            shown[k] = format_fen(v)
        elif k == "role" and isinstance(v, str):
            shown[k] = ROLE_NAMES.get(lang, {}).get(v, v)
        elif k == "field" and isinstance(v, str):
            shown[k] = FIELD_NAMES.get(lang, {}).get(v, v)
        else:
            shown[k] = v
    try:
        return template.format(**shown)
    except (KeyError, IndexError, ValueError):
        return template


def tr_error(err: DomainError, lang: str | None = None) -> str:
    return translate(err.key, err.params, lang)


# --- wallet rules, receipts, refund: deductions for perks used, refund method, item names -------------
register("zh_CN", {
    "refund.method_invalid": "退款方式无效：{method}（可选：{allowed}）",
    "refund.perk_value_invalid": "已用权益的价值不能为负数",
    "item.member_price_name": "会员价资格 {months} 个月",
})
register("en", {
    "refund.method_invalid": "Invalid refund method: {method} (allowed: {allowed})",
    "refund.perk_value_invalid": "The value of a perk used cannot be negative",
    "item.member_price_name": "Member prices for {months} months",
})

# --- staff and security: PIN lockout, PIN policy, staff management ----------------------------------
register("zh_CN", {
    "auth.locked": "账号已锁定，请于 {until} 后再试，或请店长解锁",
    "staff.pin_too_short": "密码须为 {min}–8 位数字",
    "staff.pin_is_demo": "不能使用示范密码，请换一个新密码",
    "staff.last_manager": "{code} 是本店最后一位在职店长，不能停用或改为其他角色",
    "settings.range": "设置 {setting} 须为 {low} 到 {high} 之间的整数",
})
register("en", {
    "auth.locked": "This account is locked until {until}; try again then, or ask a manager to unlock it",
    "staff.pin_too_short": "The PIN must be {min} to 8 digits",
    "staff.pin_is_demo": "The demo PIN cannot be used here; choose a new PIN",
    "staff.last_manager": "{code} is the store's last active manager: cannot be disabled or given another role",
    "settings.range": "Setting {setting} must be a whole number from {low} to {high}",
})
