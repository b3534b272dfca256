"""Everything the app prints: reportlab PDFs (coupons, receipts, invite cards), QR codes, ESC/POS slips, and
pages painted on Qt's printer (qtprint.py: the dialogs that drive it stay in ui/)."""
