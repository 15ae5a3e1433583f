"""PHP: Composer's installed.json and composer.lock."""
