"""Every setting the images plugin reads, in one place, with its default.

IMAGES [True]
    False leaves every image as the author wrote it and makes no variants.
IMAGES_PATHS [["images"]]
    Folders of the content folder whose JPEG and PNG files get variants; an `<img>` is
    rewritten only when its `src` is one of those files.
IMAGES_WIDTHS [[480, 800, 1200]]
    The variants' widths in pixels (none wider than the original: see
    `possibility.core.images.variant_widths`).
IMAGES_SIZES ["(min-width: 44rem) 40rem, calc(100vw - 2.5rem)"]
    The `sizes` of every content image: how wide the theme shows it (the text column).

Also read: CACHE_PATH (the variants are kept in its `images/` folder).
"""

from dataclasses import dataclass
from pathlib import Path

from possibility.common import SettingsError, names, number, switch
from possibility.core.images import DEFAULT_WIDTHS

DEFAULT_SIZES = "(min-width: 44rem) 40rem, calc(100vw - 2.5rem)"


@dataclass(frozen=True)
class ImagesSettings:
    enabled: bool
    paths: tuple
    widths: tuple
    sizes: str
    cache: Path


def read_settings(settings):
    enabled = switch("IMAGES", settings.get("IMAGES", True))
    paths = names("IMAGES_PATHS", settings.get("IMAGES_PATHS", ["images"]), ["images"],
                  "folders")
    widths = settings.get("IMAGES_WIDTHS", list(DEFAULT_WIDTHS))
    if not isinstance(widths, (list, tuple)) or not widths:
        raise SettingsError(f"IMAGES_WIDTHS is {widths!r}: write a list of widths in pixels, "
                            f"such as {list(DEFAULT_WIDTHS)!r}.")
    widths = tuple(sorted({number("IMAGES_WIDTHS", w, 16, whole=True) for w in widths}))
    sizes = settings.get("IMAGES_SIZES", DEFAULT_SIZES)
    if not isinstance(sizes, str) or not sizes.strip():
        raise SettingsError(f"IMAGES_SIZES is {sizes!r}: write a `sizes` value such as "
                            f"{DEFAULT_SIZES!r}.")
    return ImagesSettings(
        enabled=enabled, paths=tuple(p.strip("/") for p in paths), widths=widths,
        sizes=sizes.strip(), cache=Path(settings.get("CACHE_PATH") or ".cache") / "images",
    )
