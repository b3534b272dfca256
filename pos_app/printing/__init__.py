"""Everything the app prints: reportlab PDFs (coupons, receipts, invite cards), QR codes, ESC/POS slips."""
