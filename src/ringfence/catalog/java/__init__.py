"""Java archives (jar/war/ear/...): Maven coordinates from pom.properties or MANIFEST.MF."""
