"""npm: installed packages under node_modules and package-lock.json files."""
