"""The media library's images, with Pillow: what a file really is, the file to store, and
its renditions. Bytes in, bytes out: no storage, no database.

- The type comes from the content: the file's signature picks the one Pillow plugin
  that may read it (JPEG, PNG, GIF, WebP), never the name or the client's Content-Type.
- The pixel count is read from the header and checked before anything is decoded (a
  20,000 x 20,000 PNG is a few KB that would decode to 1.6 GB); an animation's frames
  count together, since each one is decoded. Pillow's own decompression-bomb check uses
  the same limit (`MEDIA_MAX_PIXELS`).
- What is stored is re-encoded from the decoded pixels: EXIF (GPS included), XMP, IPTC,
  comments and colour profiles do not survive, because nothing but the pixels (and
  what an animation or transparency needs) is written back. The EXIF orientation is
  applied first, so photos stay upright, and a colour profile is converted to sRGB
  first, so colours stay right.
"""

import io
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings
from PIL import Image, ImageCms, ImageOps, ImageSequence, JpegImagePlugin

from config.errors import InvalidInput


@dataclass(frozen=True)
class ImageFormat:
    content_type: str
    extension: str


# Pillow's format name -> what the platform stores it as.
FORMATS = {
    "JPEG": ImageFormat("image/jpeg", "jpg"),
    "PNG": ImageFormat("image/png", "png"),
    "GIF": ImageFormat("image/gif", "gif"),
    "WEBP": ImageFormat("image/webp", "webp"),
}
RENDITION_FORMAT = ImageFormat("image/webp", "webp")
RENDITION_QUALITY = 80

# Of an image's `info`, what its encoder needs to write the same picture back: an
# animation's timing and a palette's transparent colour. Everything else is metadata.
_KEPT_INFO = ("transparency", "duration", "loop", "disposal", "background")


@dataclass(frozen=True)
class EncodedImage:
    data: bytes
    format: ImageFormat
    width: int
    height: int
    frames: int = 1


def _refused(code: str, message: str) -> InvalidInput:
    return InvalidInput(message, code=code, fields={"file": [message]})


def _sniff(head: bytes) -> str | None:
    """The format a file's first bytes announce, or None for anything else (SVG, HTML,
    text, PDF...)."""
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    return None


def _open(data: bytes, expected: str) -> Image.Image:
    """Open (read the header of) an image of the `expected` format; refuse a bomb."""
    # Pillow warns above MAX_IMAGE_PIXELS and refuses above twice that, at open: the same
    # limit as ours, so a bomb never gets past it whichever check sees it first.
    Image.MAX_IMAGE_PIXELS = settings.MEDIA_MAX_PIXELS
    try:
        with warnings.catch_warnings():
            # Its warning (just above the limit) is a refusal too, not a line in the log.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            return Image.open(io.BytesIO(data), formats=[expected])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _too_large() from exc
    except Exception as exc:
        raise _refused("invalid_image", "The file is damaged or not a valid image.") from exc


def _too_large() -> InvalidInput:
    return _refused(
        "image_too_large",
        f"The image has more than {settings.MEDIA_MAX_PIXELS} pixels (all frames together).",
    )


def _frame_count(image: Image.Image) -> int:
    # A JPEG's extra "frames" (MPO: a camera's preview or depth map) are not kept.
    if image.format in ("GIF", "WEBP"):
        return max(1, int(getattr(image, "n_frames", 1)))
    return 1


def _check_pixels(image: Image.Image, frames: int) -> None:
    width, height = image.size
    if width < 1 or height < 1 or width * height * frames > settings.MEDIA_MAX_PIXELS:
        raise _too_large()


def _is_srgb(profile: ImageCms.ImageCmsProfile) -> bool:
    return "srgb" in ImageCms.getProfileDescription(profile).lower()


def _to_srgb(image: Image.Image, icc: bytes | None) -> Image.Image:
    """The image in sRGB when it carries another colour profile (which is then dropped
    with the rest of the metadata); as it is when the profile is unreadable."""
    if not icc or image.mode not in ("RGB", "RGBA", "CMYK"):
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        if _is_srgb(source):
            return image
        srgb = ImageCms.createProfile("sRGB")
        alpha = image.getchannel("A") if image.mode == "RGBA" else None
        base = image.convert("RGB") if alpha is not None else image
        converted = ImageCms.profileToProfile(base, source, srgb, outputMode="RGB")
        if converted is None:  # only with inPlace=True
            return image
        if alpha is not None:
            converted.putalpha(alpha)
        return converted
    except (ImageCms.PyCMSError, OSError, ValueError):
        return image


def _bare(frame: Image.Image, source_info: Mapping[Any, Any]) -> Image.Image:
    """A copy of `frame` that carries nothing but its pixels and what an encoder needs."""
    bare = frame.copy()
    bare.info = {key: source_info[key] for key in _KEPT_INFO if key in source_info}
    return bare


def _frames(image: Image.Image, frames: int) -> Iterator[Image.Image]:
    """Each frame, decoded, upright, in sRGB and bare (the first only for a still)."""
    orientation = image.getexif().get(ImageOps.ExifTags.Base.Orientation, 1)
    for index, frame in enumerate(ImageSequence.Iterator(image)):
        if index >= frames:
            break
        frame.load()
        info = dict(frame.info)
        upright = _orient(frame, orientation)
        yield _bare(_to_srgb(upright, image.info.get("icc_profile")), info)


_TRANSPOSE = {
    2: (Image.Transpose.FLIP_LEFT_RIGHT,),
    3: (Image.Transpose.ROTATE_180,),
    4: (Image.Transpose.FLIP_TOP_BOTTOM,),
    5: (Image.Transpose.TRANSPOSE,),
    6: (Image.Transpose.ROTATE_270,),
    7: (Image.Transpose.TRANSVERSE,),
    8: (Image.Transpose.ROTATE_90,),
}


def _orient(frame: Image.Image, orientation: int) -> Image.Image:
    """The frame as the camera meant it (ImageOps.exif_transpose's table, applied to any
    frame: exif_transpose itself only turns the current one)."""
    for method in _TRANSPOSE.get(orientation, ()):
        frame = frame.transpose(method)
    return frame


def _encode(frames: list[Image.Image], fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    first, rest = frames[0], frames[1:]
    if rest:
        durations = [frame.info.get("duration", 100) for frame in frames]
        options = {"save_all": True, "append_images": rest, "duration": durations, **options}
        options.setdefault("loop", first.info.get("loop", 0))
    first.save(out, fmt, **options)
    return out.getvalue()


def _jpeg_options(source: Image.Image) -> dict[str, object]:
    """The source's own quantization tables and chroma subsampling: re-encoding keeps its
    quality (and about its size) instead of imposing one."""
    options: dict[str, object] = {"optimize": True}
    tables = getattr(source, "quantization", None)
    sampling = JpegImagePlugin.get_sampling(source) if tables else -1
    if tables and sampling != -1:
        options.update(qtables=tables, subsampling=sampling)
    else:
        options["quality"] = 90
    return options


def _for_jpeg(frame: Image.Image) -> Image.Image:
    return frame if frame.mode in ("L", "RGB") else frame.convert("RGB")


def image_clean(file: IO[bytes]) -> EncodedImage:
    """The image to store for an uploaded file: verified, decoded and re-encoded in its
    own format without metadata. Raises InvalidInput with code `unsupported_media` (not
    a JPEG, PNG, GIF or WebP), `image_too_large` (over MEDIA_MAX_PIXELS) or
    `invalid_image` (truncated, corrupt)."""
    file.seek(0)
    data = file.read()
    expected = _sniff(data[:16])
    if expected is None:
        raise _refused("unsupported_media", "Only JPEG, PNG, GIF and WebP images are accepted.")
    image = _open(data, expected)
    frames = _frame_count(image)
    _check_pixels(image, frames)
    try:
        image.verify()  # checksums (PNG), structure; the file must be opened again after
        image = _open(data, expected)
        pillow_format = "JPEG" if image.format == "MPO" else image.format or expected
        decoded = list(_frames(image, frames))
        first = decoded[0]
        if pillow_format == "JPEG":
            encoded = _encode([_for_jpeg(first)], "JPEG", **_jpeg_options(image))
        elif pillow_format == "WEBP":
            encoded = _encode(decoded, "WEBP", quality=90, method=4)
        else:
            encoded = _encode(decoded, pillow_format)
    except InvalidInput:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _too_large() from exc
    except Exception as exc:
        raise _refused("invalid_image", "The image is damaged or truncated.") from exc
    return EncodedImage(
        data=encoded,
        format=FORMATS[pillow_format],
        width=first.width,
        height=first.height,
        frames=len(decoded),
    )


def _rendition_mode(frame: Image.Image) -> Image.Image:
    has_alpha = frame.mode in ("RGBA", "LA", "PA") or "transparency" in frame.info
    return frame.convert("RGBA" if has_alpha else "RGB")


def image_rendition_size(width: int, height: int, target_width: int) -> tuple[int, int]:
    """The size of a rendition `target_width` wide, never wider than the original."""
    new_width = min(target_width, width)
    return new_width, max(1, round(height * new_width / width))


def image_renditions(data: bytes, widths: Mapping[str, int]) -> dict[str, EncodedImage]:
    """WebP renditions of a stored original (which is bare and upright already), one per
    name in `widths`, each at most that wide; an animation stays animated."""
    image = _open(data, _sniff(data[:16]) or "")
    frames = _frame_count(image)
    _check_pixels(image, frames)
    largest = max(widths.values())
    if image.format == "JPEG":
        # Decode at the smallest scale (1/2, 1/4, 1/8) still at least as large as the
        # largest rendition: much faster for photos, the same result.
        size = image_rendition_size(image.width, image.height, largest)
        image.draft("RGB", size)
    decoded = [_rendition_mode(frame) for frame in _frames(image, frames)]
    width, height = decoded[0].size
    renditions = {}
    for name, target in widths.items():
        size = image_rendition_size(width, height, target)
        resized = [
            _bare(frame.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0), frame.info)
            for frame in decoded
        ]
        encoded = _encode(resized, "WEBP", quality=RENDITION_QUALITY, method=4)
        renditions[name] = EncodedImage(encoded, RENDITION_FORMAT, size[0], size[1], len(resized))
    return renditions
