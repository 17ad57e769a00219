"""The images documents show (the group's logo and signature, a member's logo): PNG files inside the project,
decoded whole when loaded so that a damaged one is a located error, not a failure while rendering.
"""

from __future__ import annotations

import struct
import warnings
import zlib
from pathlib import Path

from keycities.data.paths import resolve_inside
from keycities.errors import DataError

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_problem(folder: Path, relative: str) -> str | None:
    """What is wrong with an image a document will show, or None: it must be a PNG inside the project,
    links followed."""
    try:
        path = resolve_inside(folder, folder / relative)
    except DataError as error:
        return error.problems[0]
    try:
        with open(path, "rb") as image:
            start = image.read(len(PNG_SIGNATURE))
    except FileNotFoundError:
        return f"no such file {relative}; give a PNG in the project folder"
    except IsADirectoryError:
        return f"{relative} is a folder where a PNG image belongs; name the image's file"
    except OSError as error:
        return f"cannot read {relative} ({error.strerror}); check the path"
    if start != PNG_SIGNATURE:
        return f"{relative} is not a PNG image; save it as PNG (Word cannot show SVG)"
    return _damaged(path, relative)


def _damaged(path: Path, relative: str) -> str | None:
    """What is wrong inside a file that starts as a PNG, or None: the renderers decode it only when a
    document is built, and fail there with a traceback, so it is decoded here, whole."""
    from PIL import Image, ImageFile  # imported here: only a check that loads images needs it

    # WeasyPrint, once imported, lets Pillow pass over a cut-short image: not while checking one.
    tolerant, ImageFile.LOAD_TRUNCATED_IMAGES = ImageFile.LOAD_TRUNCATED_IMAGES, False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)  # a huge image, not a logo
            with Image.open(path) as image:
                image.verify()  # every chunk and its checksum
            with Image.open(path) as image:  # verify leaves the image unusable: open it again
                image.load()  # the pixels themselves
    except (
        OSError,
        SyntaxError,
        ValueError,
        EOFError,
        struct.error,
        zlib.error,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ) as error:
        return f"{relative} is a damaged PNG image ({error}); export it again as PNG"
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = tolerant
    return None
