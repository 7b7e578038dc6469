"""The feeds carry a post's featured image: an RSS <enclosure>, an Atom
<link rel="enclosure"> (url, length, type); and the post page shows it."""

import xml.etree.ElementTree as ET

import pytest
from django.core.files.storage import default_storage
from django.test import Client

from blog.models import MediaStatus
from tests.factories import MediaFactory, PostFactory, ReadyMediaFactory

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def client():
    return Client()


@pytest.fixture
def featured_post():
    media = ReadyMediaFactory(width=1200, height=800, alt_text="A harbour", caption="Morning")
    return PostFactory(title="With image", featured_image=media)


def rss_items(client) -> dict[str | None, ET.Element]:
    root = ET.fromstring(client.get("/feeds/rss/").content)
    return {item.findtext("title"): item for item in root.iter("item")}


def atom_entries(client) -> dict[str | None, ET.Element]:
    root = ET.fromstring(client.get("/feeds/atom/").content)
    return {entry.findtext(f"{ATOM}title"): entry for entry in root.iter(f"{ATOM}entry")}


def test_rss_has_the_featured_image_as_an_enclosure(client, featured_post):
    PostFactory(title="Without")
    items = rss_items(client)
    media = featured_post.featured_image
    (enclosure,) = items["With image"].findall("enclosure")
    assert enclosure.attrib == {
        "url": f"http://testserver/media/{media.file.name}",
        "length": str(media.size),
        "type": "image/png",
    }
    assert media.size > 0
    assert items["Without"].findall("enclosure") == []


def test_the_enclosure_url_answers(client, featured_post):
    (enclosure,) = rss_items(client)["With image"].findall("enclosure")
    name = enclosure.attrib["url"].removeprefix("http://testserver/media/")
    assert default_storage.size(name) == int(enclosure.attrib["length"])


def test_the_enclosure_is_on_the_host_asked(featured_post):
    client = Client(HTTP_HOST="localhost")
    (enclosure,) = rss_items(client)["With image"].findall("enclosure")
    assert enclosure.attrib["url"].startswith("http://localhost/media/library/")


def test_atom_has_a_link_rel_enclosure(client, featured_post):
    entries = atom_entries(client)
    links = [
        link.attrib
        for link in entries["With image"].findall(f"{ATOM}link")
        if link.get("rel") == "enclosure"
    ]
    media = featured_post.featured_image
    assert links == [
        {
            "rel": "enclosure",
            "href": f"http://testserver/media/{media.file.name}",
            "length": str(media.size),
            "type": "image/png",
        }
    ]


def test_an_imported_image_not_downloaded_yet_is_its_remote_address(client):
    media = MediaFactory(
        status=MediaStatus.REMOTE,
        file="",
        size=0,
        content_type="",
        source_url="https://old.example/wp-content/uploads/cat.png",
    )
    PostFactory(title="Imported", featured_image=media)
    (enclosure,) = rss_items(client)["Imported"].findall("enclosure")
    assert enclosure.attrib == {
        "url": "https://old.example/wp-content/uploads/cat.png",
        "length": "0",
        "type": "image/png",
    }


def test_the_feed_runs_as_many_queries_with_featured_images(client, django_assert_num_queries):
    for _ in range(5):
        PostFactory(featured_image=ReadyMediaFactory())
    with django_assert_num_queries(2):  # the posts (with their images), their tags
        assert client.get("/feeds/rss/").status_code == 200


def test_the_post_page_shows_the_featured_image_with_its_caption(client, featured_post):
    media = featured_post.featured_image
    content = client.get(featured_post.get_absolute_url()).content.decode()
    assert f'src="/media/{media.file.name}"' in content
    assert 'alt="A harbour"' in content and 'width="1200"' in content
    assert "-medium.webp 800w" in content
    assert "<figcaption>Morning</figcaption>" in content


def test_the_featured_image_on_the_page_is_escaped(client):
    media = ReadyMediaFactory(alt_text='"><script>alert(1)</script>', caption="<b>x</b>")
    post = PostFactory(featured_image=media)
    content = client.get(post.get_absolute_url()).content.decode()
    assert "<script>alert(1)" not in content and "<b>x</b>" not in content
    assert 'alt="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in content
