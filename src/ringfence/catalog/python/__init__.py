"""Python: installed distributions (dist-info, egg-info) and lock/requirements files."""
