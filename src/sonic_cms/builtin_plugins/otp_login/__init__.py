"""OTP login: passwordless sign-in with a code mailed to the account's address.

SonicJS's ``otp-login`` plugin rebuilt: its routes (``/auth/otp/request|verify|resend``), its
bodies, its ``otp_codes`` table (from this plugin's own revision) and its settings; the code is
stored as a keyed digest, and unknown or inactive addresses get the answers real ones get.
"""

from __future__ import annotations

from pathlib import Path

from sonic_cms.builtin_plugins.otp_login.routes import router
from sonic_cms.builtin_plugins.otp_login.service import OtpSettings
from sonic_cms.plugins.spec import PluginSpec

plugin = PluginSpec(
    name="otp-login",
    display_name="OTP Login",
    version="1.0.0",
    author="sonic-cms",
    category="security",
    description="Passwordless authentication via email one-time codes",
    settings_model=OtpSettings,
    migrations=Path(__file__).parent / "migrations",
    tables=("otp_codes",),
    router=router,
    route_prefix="/auth/otp",
)
