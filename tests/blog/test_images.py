"""blog.images: only real images get in, bombs are refused before they are decoded, and
what comes out carries no metadata (EXIF, GPS, XMP, comments, colour profiles)."""

import io
import struct

import pytest
from PIL import ExifTags, Image, ImageCms, ImageFile, PngImagePlugin

from blog.images import image_clean, image_rendition_size, image_renditions
from config.errors import InvalidInput
from tests.helpers import image_bytes

XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/'
    b'22-rdf-syntax-ns#"><rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/">'
    b"<dc:creator>Secret Photographer</dc:creator></rdf:Description></rdf:RDF></x:xmpmeta>"
)


def _gps_exif(orientation: int = 1) -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.Make] = "SecretCam"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (48.0, 51.0, 29.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (2.0, 17.0, 40.0)
    return exif


def jpeg_with_gps(size=(120, 60), orientation: int = 1) -> bytes:
    return image_bytes(
        "JPEG", size, exif=_gps_exif(orientation), comment=b"Secret comment", quality=80
    )


def assert_bare(data: bytes) -> None:
    """No EXIF, GPS, XMP, comment or colour profile, in the bytes or to Pillow."""
    for marker in (b"Exif", b"SecretCam", b"Secret", b"xmpmeta", b"ICC_PROFILE", b"iCCP"):
        assert marker not in data, marker
    image = Image.open(io.BytesIO(data))
    exif = image.getexif()
    assert not exif and not exif.get_ifd(ExifTags.IFD.GPSInfo)
    assert not {"exif", "xmp", "comment", "icc_profile"} & set(image.info), image.info


def _clean(data: bytes):
    return image_clean(io.BytesIO(data))


def _refused(data: bytes) -> InvalidInput:
    with pytest.raises(InvalidInput) as refused:
        _clean(data)
    assert refused.value.fields and "file" in refused.value.fields
    return refused.value


# --- what gets in ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "content_type", "extension"),
    [
        ("JPEG", "image/jpeg", "jpg"),
        ("PNG", "image/png", "png"),
        ("GIF", "image/gif", "gif"),
        ("WEBP", "image/webp", "webp"),
    ],
)
def test_the_four_formats_are_recognised_by_content(fmt, content_type, extension):
    cleaned = _clean(image_bytes(fmt, (40, 30)))

    assert (cleaned.format.content_type, cleaned.format.extension) == (content_type, extension)
    assert (cleaned.width, cleaned.height) == (40, 30)
    assert Image.open(io.BytesIO(cleaned.data)).format == fmt


@pytest.mark.parametrize(
    "data",
    [
        b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>x()</script></svg>',
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>',
        b"<!DOCTYPE html><html><script>alert(document.cookie)</script></html>",
        b"just some text, named photo.png by its sender",
        b"%PDF-1.7\n",
        b"",
    ],
    ids=["svg", "svg-xml", "html", "text", "pdf", "empty"],
)
def test_anything_but_the_four_formats_is_unsupported_media(data):
    assert _refused(data).code == "unsupported_media"


def test_a_format_pillow_reads_but_the_library_does_not_take_is_unsupported():
    assert _refused(image_bytes("BMP", (10, 10))).code == "unsupported_media"
    assert _refused(image_bytes("TIFF", (10, 10))).code == "unsupported_media"


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "GIF", "WEBP"])
def test_a_truncated_image_is_invalid(fmt):
    noise = Image.effect_noise((200, 200), 80).convert("RGB")
    out = io.BytesIO()
    noise.save(out, fmt)
    data = out.getvalue()

    assert _refused(data[: len(data) // 2]).code == "invalid_image"


def test_a_signature_followed_by_garbage_is_invalid():
    assert _refused(b"\x89PNG\r\n\x1a\n" + b"garbage" * 50).code == "invalid_image"
    assert _refused(b"\xff\xd8\xff" + b"garbage" * 50).code == "invalid_image"


def test_a_png_with_a_bad_checksum_is_invalid():
    data = bytearray(image_bytes("PNG", (30, 30)))
    data[-20] ^= 0xFF  # inside the IDAT chunk: its CRC no longer matches

    assert _refused(bytes(data)).code == "invalid_image"


# --- bombs ------------------------------------------------------------------------------


def _png_bomb(side: int = 20_000) -> bytes:
    out = io.BytesIO()
    Image.new("1", (side, side)).save(out, "PNG")
    return out.getvalue()


def test_a_decompression_bomb_is_refused_before_it_is_decoded(monkeypatch):
    bomb = _png_bomb()
    assert len(bomb) < 100_000  # a few KB for 400 megapixels

    def decoding(self, *args, **kwargs):
        raise AssertionError("the bomb was decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", decoding)
    refused = _refused(bomb)

    assert refused.code == "image_too_large"
    assert "40000000" in refused.message


def test_the_pixel_limit_is_the_setting(settings):
    settings.MEDIA_MAX_PIXELS = 100 * 100

    assert _clean(image_bytes("PNG", (100, 100))).width == 100
    assert _refused(image_bytes("PNG", (101, 100))).code == "image_too_large"
    # Pillow's own bomb check follows the same setting.
    assert Image.MAX_IMAGE_PIXELS == 100 * 100


def test_the_frames_of_an_animation_count_together(settings):
    settings.MEDIA_MAX_PIXELS = 50 * 50 * 3
    frames = [Image.new("RGB", (50, 50), (i * 60, 0, 0)) for i in range(4)]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=50)
    assert Image.open(io.BytesIO(out.getvalue())).n_frames == 4

    assert _refused(out.getvalue()).code == "image_too_large"
    assert _clean(image_bytes("GIF", (50, 50))).frames == 1


# --- privacy ----------------------------------------------------------------------------


def test_a_jpeg_loses_its_exif_gps_and_comment():
    data = jpeg_with_gps()
    assert b"Exif" in data and Image.open(io.BytesIO(data)).getexif().get_ifd(ExifTags.IFD.GPSInfo)

    assert_bare(_clean(data).data)


def test_a_photo_stays_upright():
    # Orientation 6: the camera was turned; the stored pixels are turned back, and the
    # tag that said so is gone with the rest.
    sideways = jpeg_with_gps(size=(120, 60), orientation=6)

    cleaned = _clean(sideways)

    assert (cleaned.width, cleaned.height) == (60, 120)
    upright = Image.open(io.BytesIO(cleaned.data)).convert("RGB")
    # image_bytes draws a white band along the top; turned, it runs down the right side.
    assert upright.getpixel((55, 60))[0] > 240 and upright.getpixel((5, 60))[1] < 100
    assert_bare(cleaned.data)


def test_a_jpeg_keeps_its_quality():
    noise = Image.effect_noise((300, 200), 60).convert("RGB")
    out = io.BytesIO()
    noise.save(out, "JPEG", quality=95)

    cleaned = _clean(out.getvalue())

    # The same quantization tables as the upload's: its quality, not an imposed one.
    assert _tables(cleaned.data) == _tables(out.getvalue())


def _tables(data: bytes):
    return getattr(Image.open(io.BytesIO(data)), "quantization", None)


def test_a_png_loses_its_text_exif_xmp_and_colour_profile():
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Secret Photographer")
    info.add_itxt("XML:com.adobe.xmp", XMP.decode())
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = image_bytes("PNG", (30, 20), pnginfo=info, exif=_gps_exif(), icc_profile=profile)
    assert b"Secret" in data and b"iCCP" in data

    assert_bare(_clean(data).data)


def test_a_webp_loses_its_exif_and_xmp():
    data = image_bytes("WEBP", (30, 20), exif=_gps_exif(), xmp=XMP)
    assert b"Secret" in data

    assert_bare(_clean(data).data)


def test_a_gif_loses_its_comment_and_keeps_its_animation_and_transparency():
    frames = [Image.new("P", (40, 30), i) for i in range(3)]
    for frame in frames:
        frame.putpalette([c for i in range(256) for c in (i, 255 - i, i // 2)])
    out = io.BytesIO()
    frames[0].save(
        out,
        "GIF",
        save_all=True,
        append_images=frames[1:],
        duration=[100, 200, 300],
        loop=0,
        comment=b"Secret comment",
        transparency=0,
    )

    cleaned = _clean(out.getvalue())

    assert cleaned.frames == 3
    assert_bare(cleaned.data)
    gif = Image.open(io.BytesIO(cleaned.data))
    assert gif.n_frames == 3 and "transparency" in gif.info and gif.info["loop"] == 0
    durations = []
    for index in range(3):
        gif.seek(index)
        durations.append(gif.info["duration"])
    assert durations == [100, 200, 300]


def _s15(value: float) -> bytes:
    return struct.pack(">i", round(value * 65536))


def _xyz_tag(x: float, y: float, z: float) -> bytes:
    return b"XYZ \0\0\0\0" + _s15(x) + _s15(y) + _s15(z)


def wide_gamut_profile() -> bytes:
    """A minimal ICC v2 RGB display profile with Display P3's primaries (a phone camera's
    colour space), built by hand: littleCMS, through Pillow, makes none but sRGB."""
    name = b"Test Display P3"
    desc = b"desc\0\0\0\0" + struct.pack(">I", len(name) + 1) + name + b"\0"
    desc += b"\0" * 8 + b"\0" * 3 + b"\0" * 67  # no Unicode or ScriptCode description
    curve = b"curv\0\0\0\0" + struct.pack(">IH", 1, round(2.2 * 256)) + b"\0\0"
    tags = [
        (b"desc", desc),
        (b"wtpt", _xyz_tag(0.9642, 1.0, 0.8249)),
        (b"rXYZ", _xyz_tag(0.5151, 0.2412, -0.0011)),
        (b"gXYZ", _xyz_tag(0.2920, 0.6922, 0.0419)),
        (b"bXYZ", _xyz_tag(0.1571, 0.0666, 0.7841)),
        (b"rTRC", curve),
        (b"gTRC", curve),
        (b"bTRC", curve),
        (b"cprt", b"text\0\0\0\0none\0"),
    ]
    offset = 128 + 4 + 12 * len(tags)
    table, body = b"", b""
    for signature, data in tags:
        data += b"\0" * (-len(data) % 4)
        table += signature + struct.pack(">II", offset + len(body), len(data))
        body += data
    size = offset + len(body)
    header = struct.pack(">I4sI", size, b"\0\0\0\0", 0x02100000) + b"mntrRGB XYZ "
    header += b"\0" * 12 + b"acsp" + b"\0" * 24 + struct.pack(">I", 0)
    header += _s15(0.9642) + _s15(1.0) + _s15(0.8249) + b"\0" * 48
    assert len(header) == 128
    return header + struct.pack(">I", len(tags)) + table + body


def test_a_picture_in_another_colour_profile_is_converted_to_srgb_not_just_stripped():
    # Dropping a wide-gamut profile alone would dull the picture's colours: they are
    # converted to sRGB first, as a colour-managed browser would have shown them.
    p3 = wide_gamut_profile()
    tagged = image_bytes("PNG", (10, 10), color=(200, 100, 50), icc_profile=p3)
    expected = ImageCms.profileToProfile(
        Image.open(io.BytesIO(tagged)),
        ImageCms.ImageCmsProfile(io.BytesIO(p3)),
        ImageCms.createProfile("sRGB"),
        outputMode="RGB",
    )
    assert expected is not None and expected.getpixel((5, 5)) != (200, 100, 50)

    cleaned = _clean(tagged)

    assert_bare(cleaned.data)
    pixel = Image.open(io.BytesIO(cleaned.data)).convert("RGB").getpixel((5, 5))
    assert pixel == expected.getpixel((5, 5))


# --- renditions -------------------------------------------------------------------------


def test_renditions_are_webp_never_wider_than_the_original():
    original = _clean(image_bytes("PNG", (1000, 500))).data

    made = image_renditions(original, {"thumbnail": 300, "medium": 800, "large": 1600})

    sizes = {name: (r.width, r.height) for name, r in made.items()}
    assert sizes == {"thumbnail": (300, 150), "medium": (800, 400), "large": (1000, 500)}
    for rendition in made.values():
        image = Image.open(io.BytesIO(rendition.data))
        assert image.format == "WEBP" and image.size == (rendition.width, rendition.height)
        assert rendition.format.content_type == "image/webp"
        assert_bare(rendition.data)


def test_a_photo_s_renditions_are_decoded_at_a_reduced_scale_with_the_same_result():
    photo = _clean(image_bytes("JPEG", (3200, 2400), quality=90)).data

    made = image_renditions(photo, {"thumbnail": 300, "large": 1600})

    assert (made["thumbnail"].width, made["thumbnail"].height) == (300, 225)
    assert (made["large"].width, made["large"].height) == (1600, 1200)


def test_an_animation_s_renditions_are_animated():
    frames = [Image.new("RGB", (400, 300), (i * 60, 0, 0)) for i in range(3)]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    original = _clean(out.getvalue()).data

    made = image_renditions(original, {"thumbnail": 300})

    thumbnail = Image.open(io.BytesIO(made["thumbnail"].data))
    assert thumbnail.size == (300, 225) and getattr(thumbnail, "n_frames", 1) == 3


def test_rendition_size_keeps_the_ratio():
    assert image_rendition_size(4000, 3000, 300) == (300, 225)
    assert image_rendition_size(200, 100, 300) == (200, 100)
    assert image_rendition_size(5000, 1, 300) == (300, 1)
