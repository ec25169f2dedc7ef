"""The domain: every rule about content, users, collections and the rest lives here."""
