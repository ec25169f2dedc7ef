"""The auth domain: users, sign-in, sessions, API tokens, roles, 2FA, mailed flows."""
