"""Print documents shaped as the flows emit them, and the shop they print for."""

from __future__ import annotations

from drivers.printer.receipt import Store

STORE = Store(name="小店 Corner Shop", address="深圳市南山区科技园 Science Park Road 1", phone="0755-12345678",
              terminal_id="T0000001", merchant_id="898440358120001", footer="谢谢惠顾 Thank you",
              qr="https://e.example.com/r/S-0001")
AMOUNT = {"minor": 5800, "currency": "CNY"}
TIME = "2024-05-01T14:03:22+08:00"

SALE = {"type": "sale", "status": "approved", "sale_id": "S-0001", "amount": AMOUNT, "masked": "411111******1111",
        "auth_code": "A12345", "rrn": "412206000042", "stan": "000042", "time": TIME}
NOT_PAID = {"type": "not_paid", "sale_id": "S-0001", "amount": AMOUNT, "masked": "411111******1111",
            "stan": "000042", "time": TIME, "receipt_id": "S-0001-000042", "case_id": "C-7"}
VOID = {**NOT_PAID, "type": "void", "stan": "000043", "auth_code": "A12345", "rrn": "412206000042",
        "original_stan": "000042"}
CONTACT = {"type": "contact", "case_id": "C-7", "sale_id": "S-0001", "amount": AMOUNT, "time": TIME,
           "note": "顾客下午再来付款 Customer will come back at 3 pm"}
DOCUMENTS = {"sale": SALE, "not_paid": NOT_PAID, "void": VOID, "contact": CONTACT}
