"""Plugin lifecycle on top of the plugin framework: install, activate, runtime."""
