"""Ruby: installed gem specifications and Gemfile.lock."""
