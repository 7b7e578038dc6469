import io
import tracemalloc
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from tests.transfer.wxr_documents import item, wxr
from transfer.wordpress.records import Author, Category, Comment, Item, ItemTerm, Site, Tag, Term
from transfer.wordpress.wxr import WxrError, read_wxr

FULL_CHANNEL = """
	<wp:author>
		<wp:author_id>2</wp:author_id>
		<wp:author_login><![CDATA[ada]]></wp:author_login>
		<wp:author_email><![CDATA[ada@example.com]]></wp:author_email>
		<wp:author_display_name><![CDATA[Ada L.]]></wp:author_display_name>
		<wp:author_first_name><![CDATA[Ada]]></wp:author_first_name>
		<wp:author_last_name><![CDATA[Lovelace]]></wp:author_last_name>
	</wp:author>
	<wp:category>
		<wp:term_id>3</wp:term_id>
		<wp:category_nicename><![CDATA[news]]></wp:category_nicename>
		<wp:category_parent><![CDATA[]]></wp:category_parent>
		<wp:cat_name><![CDATA[News]]></wp:cat_name>
	</wp:category>
	<wp:category>
		<wp:term_id>4</wp:term_id>
		<wp:category_nicename><![CDATA[%ce%b5%ce%bb%ce%bb%ce%ac%ce%b4%ce%b1]]></wp:category_nicename>
		<wp:category_parent><![CDATA[news]]></wp:category_parent>
		<wp:cat_name><![CDATA[Ελλάδα]]></wp:cat_name>
		<wp:category_description><![CDATA[From <b>Greece</b>]]></wp:category_description>
	</wp:category>
	<wp:tag>
		<wp:term_id>5</wp:term_id>
		<wp:tag_slug><![CDATA[python]]></wp:tag_slug>
		<wp:tag_name><![CDATA[Python]]></wp:tag_name>
	</wp:tag>
	<wp:term>
		<wp:term_id>6</wp:term_id>
		<wp:term_taxonomy><![CDATA[nav_menu]]></wp:term_taxonomy>
		<wp:term_slug><![CDATA[main-menu]]></wp:term_slug>
		<wp:term_parent><![CDATA[]]></wp:term_parent>
		<wp:term_name><![CDATA[Main menu]]></wp:term_name>
	</wp:term>
	<item>
		<title>Hello &amp; <![CDATA[<welcome>]]></title>
		<link>https://old.example.com/2024/03/%ce%b3%ce%b5%ce%b9%ce%b1/</link>
		<guid isPermaLink="false">https://old.example.com/?p=10</guid>
		<dc:creator><![CDATA[ada]]></dc:creator>
		<content:encoded><![CDATA[<p>A ]]]]><![CDATA[> <em>b</em></p>]]></content:encoded>
		<excerpt:encoded><![CDATA[Short.]]></excerpt:encoded>
		<wp:post_id>10</wp:post_id>
		<wp:post_date><![CDATA[2024-03-01 12:30:00]]></wp:post_date>
		<wp:post_date_gmt><![CDATA[2024-03-01 11:30:00]]></wp:post_date_gmt>
		<wp:comment_status><![CDATA[open]]></wp:comment_status>
		<wp:post_name><![CDATA[%ce%b3%ce%b5%ce%b9%ce%b1]]></wp:post_name>
		<wp:status><![CDATA[publish]]></wp:status>
		<wp:post_parent>0</wp:post_parent>
		<wp:menu_order>2</wp:menu_order>
		<wp:post_type><![CDATA[post]]></wp:post_type>
		<wp:post_password><![CDATA[s3cret]]></wp:post_password>
		<wp:is_sticky>1</wp:is_sticky>
		<category domain="category" nicename="%ce%b5%ce%bb%ce%bb%ce%ac%ce%b4%ce%b1"
			><![CDATA[Ελλάδα]]></category>
		<category domain="post_tag" nicename="python"><![CDATA[Python]]></category>
		<wp:postmeta>
			<wp:meta_key><![CDATA[_thumbnail_id]]></wp:meta_key>
			<wp:meta_value><![CDATA[11]]></wp:meta_value>
		</wp:postmeta>
		<wp:postmeta>
			<wp:meta_key><![CDATA[_thumbnail_id]]></wp:meta_key>
			<wp:meta_value><![CDATA[99]]></wp:meta_value>
		</wp:postmeta>
		<wp:comment>
			<wp:comment_id>7</wp:comment_id>
			<wp:comment_author><![CDATA[Bob]]></wp:comment_author>
			<wp:comment_author_email><![CDATA[bob@example.com]]></wp:comment_author_email>
			<wp:comment_author_url>https://bob.example.com</wp:comment_author_url>
			<wp:comment_author_IP><![CDATA[192.0.2.1]]></wp:comment_author_IP>
			<wp:comment_date><![CDATA[2024-03-02 10:00:00]]></wp:comment_date>
			<wp:comment_date_gmt><![CDATA[2024-03-02 09:00:00]]></wp:comment_date_gmt>
			<wp:comment_content><![CDATA[  Nice post.
]]></wp:comment_content>
			<wp:comment_approved><![CDATA[1]]></wp:comment_approved>
			<wp:comment_type><![CDATA[]]></wp:comment_type>
			<wp:comment_parent>0</wp:comment_parent>
			<wp:comment_user_id>0</wp:comment_user_id>
		</wp:comment>
		<wp:comment>
			<wp:comment_id>8</wp:comment_id>
			<wp:comment_author><![CDATA[Other blog]]></wp:comment_author>
			<wp:comment_date><![CDATA[2024-03-03 10:00:00]]></wp:comment_date>
			<wp:comment_date_gmt><![CDATA[0000-00-00 00:00:00]]></wp:comment_date_gmt>
			<wp:comment_content><![CDATA[pinged]]></wp:comment_content>
			<wp:comment_approved><![CDATA[spam]]></wp:comment_approved>
			<wp:comment_type><![CDATA[pingback]]></wp:comment_type>
			<wp:comment_parent>7</wp:comment_parent>
			<wp:comment_user_id>2</wp:comment_user_id>
		</wp:comment>
	</item>
	<item>
		<title><![CDATA[photo.jpg]]></title>
		<link>https://old.example.com/photo/</link>
		<wp:post_id>11</wp:post_id>
		<wp:post_date><![CDATA[2024-03-01 12:00:00]]></wp:post_date>
		<wp:post_date_gmt><![CDATA[2024-03-01 11:00:00]]></wp:post_date_gmt>
		<wp:post_name><![CDATA[photo]]></wp:post_name>
		<wp:status><![CDATA[inherit]]></wp:status>
		<wp:post_parent>10</wp:post_parent>
		<wp:post_type><![CDATA[attachment]]></wp:post_type>
		<wp:attachment_url><![CDATA[https://old.example.com/wp-content/uploads/2024/03/photo.jpg]]></wp:attachment_url>
		<wp:postmeta>
			<wp:meta_key><![CDATA[_wp_attached_file]]></wp:meta_key>
			<wp:meta_value><![CDATA[2024/03/photo.jpg]]></wp:meta_value>
		</wp:postmeta>
	</item>
"""


def records(document: bytes, **kwargs):
    return list(read_wxr(io.BytesIO(document), **kwargs))


@pytest.mark.parametrize(
    ("wp", "version"),
    [
        ("http://wordpress.org/export/1.2/", "1.2"),
        ("https://wordpress.org/export/1.2/", "1.2"),
        ("http://wordpress.org/export/1.1/", "1.1"),
    ],
)
def test_every_record_of_a_full_export_in_the_files_order(wp, version):
    site, author, news, greece, tag, term, post, attachment = records(
        wxr(FULL_CHANNEL, wp=wp, version=version)
    )

    assert site == Site(
        title="Ἑλληνικά & more",
        link="https://old.example.com",
        base_site_url="https://old.example.com",
        base_blog_url="https://old.example.com/blog",
        description="Just another blog",
        language="en-US",
        wxr_version=version,
    )
    assert author == Author(2, "ada", "ada@example.com", "Ada L.", "Ada", "Lovelace")
    assert news == Category(3, "news", "News", "", "")
    assert greece == Category(4, "ελλάδα", "Ελλάδα", "news", "From <b>Greece</b>")
    assert tag == Tag(5, "python", "Python", "")
    assert term == Term(6, "nav_menu", "main-menu", "Main menu", "", "")

    assert isinstance(post, Item)
    assert post.id == 10
    assert post.title == "Hello & <welcome>"
    assert post.link == "https://old.example.com/2024/03/%ce%b3%ce%b5%ce%b9%ce%b1/"
    assert post.post_name == "γεια"
    assert (post.status, post.post_type, post.creator) == ("publish", "post", "ada")
    assert post.content == "<p>A ]]> <em>b</em></p>"
    assert post.excerpt == "Short."
    assert post.post_date == datetime(2024, 3, 1, 12, 30)
    assert post.post_date_gmt == datetime(2024, 3, 1, 11, 30, tzinfo=UTC)
    assert (post.post_parent, post.menu_order, post.post_password) == (0, 2, "s3cret")
    assert post.is_sticky is True
    assert post.categories == (ItemTerm("category", "ελλάδα", "Ελλάδα"),)
    assert post.tags == (ItemTerm("post_tag", "python", "Python"),)
    # The first value of a repeated key, as WordPress's get_post_meta(single=True).
    assert post.postmeta == {"_thumbnail_id": "11"}
    comment, pingback = post.comments
    assert comment == Comment(
        id=7,
        author="Bob",
        author_email="bob@example.com",
        author_url="https://bob.example.com",
        author_ip="192.0.2.1",
        date_gmt=datetime(2024, 3, 2, 9, tzinfo=UTC),
        content="  Nice post.\n",
        approved="1",
        type="comment",
        parent=0,
        user_id=0,
    )
    assert comment.is_approved
    assert (pingback.type, pingback.approved, pingback.parent, pingback.user_id) == (
        "pingback",
        "spam",
        7,
        2,
    )
    assert not pingback.is_approved
    # A zero GMT date: the local one, in the site's zone (UTC by default).
    assert pingback.date_gmt == datetime(2024, 3, 3, 10, tzinfo=UTC)

    assert attachment.post_type == "attachment"
    assert attachment.post_parent == 10
    assert attachment.attachment_url == (
        "https://old.example.com/wp-content/uploads/2024/03/photo.jpg"
    )
    assert attachment.postmeta == {"_wp_attached_file": "2024/03/photo.jpg"}
    assert attachment.comments == ()


def test_a_draft_without_gmt_date_is_dated_in_the_site_time_zone():
    document = wxr(
        item(
            1, status="draft", post_date="2024-07-01 09:00:00", post_date_gmt="0000-00-00 00:00:00"
        )
        + item(2, status="draft", post_date="0000-00-00 00:00:00", post_date_gmt="")
    )
    _, draft, undated = records(document, site_timezone=ZoneInfo("Europe/Athens"))

    assert draft.post_date == datetime(2024, 7, 1, 9)
    # Athens is UTC+3 in summer.
    assert draft.post_date_gmt == datetime(2024, 7, 1, 6, tzinfo=UTC)
    assert (undated.post_date, undated.post_date_gmt) == (None, None)


def test_pages_and_other_post_types_are_items():
    document = wxr(
        item(1, post_type="page", post_parent="3", menu_order="4")
        + item(2, post_type="nav_menu_item")
    )
    _, page, menu_item = records(document)

    assert (page.post_type, page.post_parent, page.menu_order) == ("page", 3, 4)
    assert menu_item.post_type == "nav_menu_item"


def test_the_site_comes_first_even_without_any_item():
    assert records(wxr("")) == [
        Site(
            "Ἑλληνικά & more",
            "https://old.example.com",
            "https://old.example.com",
            "https://old.example.com/blog",
            "Just another blog",
            "en-US",
            "1.2",
        )
    ]


def test_a_path_is_read_as_well_as_a_file_object(tmp_path):
    path = tmp_path / "export.xml"
    path.write_bytes(wxr(item(1)))

    assert [type(r) for r in read_wxr(str(path))] == [Site, Item]


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (b"", "Malformed XML"),
        (wxr(item(1))[:-40], "Malformed XML"),
        (
            b'<rss xmlns:wp="http://wordpress.org/export/1.2/"><channel><title>a</title></rss>',
            "Malformed XML: mismatched tag",
        ),
        (b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"/>', "not <rss>"),
        (
            b'<rss version="2.0"><channel><title>A feed</title><item><title>x</title></item>'
            b"</channel></rss>",
            "without the wp namespace",
        ),
        (b'<rss xmlns:wp="http://wordpress.org/export/1.2/"/>', "has no <channel>"),
        (wxr(item(1, post_date="yesterday")), "item 1: not a date: 'yesterday'"),
        (wxr(item(1, menu_order="first")), "wp:menu_order is not a number"),
        # An entity that is not declared (a DTD is what declares them; none is read).
        (wxr(item(1, status="&nbsp;")).replace(b"<![CDATA[&nbsp;]]>", b"&nbsp;"), "Malformed"),
    ],
)
def test_what_is_not_a_readable_export_is_a_wxr_error(document, message):
    with pytest.raises(WxrError, match=message):
        records(document)


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE rss [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
  <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
  <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
  <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
  <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
  <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rss version="2.0" xmlns:wp="http://wordpress.org/export/1.2/">
<channel><title>&lol9;</title></channel>
</rss>
"""


def test_a_billion_laughs_is_refused_before_any_expansion():
    tracemalloc.start()
    try:
        with pytest.raises(WxrError, match="entities are not allowed"):
            records(BILLION_LAUGHS)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # Expanded, the title would be 3 GB.
    assert peak < 5_000_000


def test_an_external_entity_is_refused_and_the_file_not_read(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    document = f"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file://{secret}">]>
<rss version="2.0" xmlns:wp="http://wordpress.org/export/1.2/">
<channel><title>&xxe;</title></channel>
</rss>
""".encode()

    with pytest.raises(WxrError, match="entities are not allowed") as raised:
        records(document)
    assert "TOP-SECRET" not in str(raised.value)


@pytest.mark.slow  # about 25 s: tracemalloc traces every allocation (4 s without it)
def test_a_50000_item_export_is_read_in_little_memory(tmp_path):
    path = tmp_path / "big.xml"
    head, tail = wxr("@ITEMS@").split(b"@ITEMS@")
    with path.open("wb") as file:
        file.write(head)
        for post_id in range(1, 50_001):
            file.write(item(post_id).encode())
        file.write(tail)
    size = path.stat().st_size

    tracemalloc.start()
    try:
        count = 0
        last_id = 0
        for record in read_wxr(str(path)):
            if isinstance(record, Item):
                count += 1
                last_id = record.id
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert (count, last_id) == (50_000, 50_000)
    assert size > 40_000_000
    # Measured: 0.2 MB for this 45 MB file; with the items left in the tree, 180 MB.
    assert peak < 2_000_000, f"peak {peak} bytes for a {size}-byte file"


def test_a_doctype_without_entities_is_read():
    # defusedxml's default: a DTD that declares nothing cannot expand to anything.
    document = wxr(item(1)).replace(b"<rss", b"<!DOCTYPE rss>\n<rss", 1)

    assert [type(r) for r in records(document)] == [Site, Item]
