"""ELF sections of a :class:`~ringfence.catalog.elfread.View` (whole file or excerpt), read
with pyelftools, level by level so that what an excerpt lacks is asked for in few second
reads (:class:`~ringfence.catalog.elfread.Missing`).

pyelftools reads lazily and one string at a time: a section name outside the excerpt would
surface as one missing 64-byte read per name. So the section name table (``.shstrtab``) is
located first (from the section header table, which the excerpt keeps) and asked for whole;
then every name resolves inside it. Section contents are read raw from the view, never
through ``Section.data()``, which would inflate an ``SHF_COMPRESSED`` section without a cap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from ringfence.catalog.elfread import View
from ringfence.catalog.interface import CatalogError

if TYPE_CHECKING:
    from elftools.elf.elffile import ELFFile

MAX_NAMES: Final = 1 << 20  # .shstrtab: a few hundred bytes in real programs
# pyelftools reads a name in 64-byte chunks (utils.parse_cstring_from_stream): the last
# names of the table are read a chunk past its end, so that much more is asked for
_CSTRING_CHUNK: Final = 64


def open_elf(v: View) -> ELFFile:
    """pyelftools' ELFFile over ``v`` with its section name table readable."""
    from elftools.common.exceptions import ELFError  # pyelftools: loaded only here
    from elftools.common.utils import struct_parse
    from elftools.elf.elffile import ELFFile

    try:
        elf = ELFFile(v.stream())
        if elf.num_sections():
            index = elf.get_shstrndx()
            if index >= elf.num_sections():
                raise CatalogError(f"ELF section name table {index} is not a section")
            at = elf["e_shoff"] + index * elf["e_shentsize"]
            names = struct_parse(elf.structs.Elf_Shdr, elf.stream, stream_pos=at)
            if names["sh_size"] > MAX_NAMES:
                raise CatalogError(f"ELF section name table of {names['sh_size']} bytes")
            start = names["sh_offset"]
            v.need([(start, start + names["sh_size"] + _CSTRING_CHUNK)])
    except (ELFError, ValueError, OSError) as exc:
        raise CatalogError(f"unreadable ELF file: {exc}") from exc
    return elf


def section(v: View, name: str) -> tuple[int, int] | None:
    """(file offset, size) of the section called ``name``, or None when there is none or
    it has no bytes in the file (``SHT_NOBITS``)."""
    from elftools.common.exceptions import ELFError

    elf = open_elf(v)
    try:
        found = elf.get_section_by_name(name)
        if found is None or found["sh_type"] == "SHT_NOBITS":
            return None
        return found["sh_offset"], found["sh_size"]
    except (ELFError, ValueError, OSError) as exc:
        raise CatalogError(f"unreadable ELF file: {exc}") from exc


def section_spans(v: View) -> list[tuple[int, int, int]]:
    """(address, file offset, size) of every section loaded at an address with bytes in
    the file."""
    from elftools.common.exceptions import ELFError

    elf = open_elf(v)
    try:
        return [(s["sh_addr"], s["sh_offset"], s["sh_size"]) for s in elf.iter_sections()
                if s["sh_addr"] and s["sh_type"] != "SHT_NOBITS"]
    except (ELFError, ValueError, OSError) as exc:
        raise CatalogError(f"unreadable ELF file: {exc}") from exc
