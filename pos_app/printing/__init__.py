"""Everything the app prints: reportlab PDFs (coupons, receipts, invite cards), QR codes, ESC/POS slips, the
HTML documents Qt shows and prints (receipt_html.py: the recharge receipt, stock_sheet.py: the stocktake count
sheet, both built from plain DTOs without Qt), and pages painted on Qt's printer (qtprint.py: the dialogs that
drive it stay in ui/)."""
