"""rpm: installed-package databases (Berkeley DB ``Packages``, NDB ``Packages.db``,
SQLite ``rpmdb.sqlite``), read in pure Python from bytes."""
