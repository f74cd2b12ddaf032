/// The ESC/POS printer tap: bytes pass through to the printer, receipts become transactions.
public enum ESCPOS {}
