"""The acquirer link: ISO 8583:1987 messages (field codec by pyiso8583), framed by a 2-byte length."""
