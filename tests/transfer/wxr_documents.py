"""WXR documents built in the tests, as WordPress's Tools > Export writes them."""

WP_12 = "http://wordpress.org/export/1.2/"


def wxr(channel: str, wp: str = WP_12, version: str = "1.2") -> bytes:
    """A WXR file around `channel`'s elements, with the `wp` namespace given."""
    excerpt = wp + "excerpt/"
    return f"""<?xml version="1.0" encoding="UTF-8" ?>
<rss version="2.0"
	xmlns:excerpt="{excerpt}"
	xmlns:content="http://purl.org/rss/1.0/modules/content/"
	xmlns:wfw="http://wellformedweb.org/CommentAPI/"
	xmlns:dc="http://purl.org/dc/elements/1.1/"
	xmlns:wp="{wp}"
>
<channel>
	<title>Ἑλληνικά &amp; more</title>
	<link>https://old.example.com</link>
	<description>Just another blog</description>
	<language>en-US</language>
	<wp:wxr_version>{version}</wp:wxr_version>
	<wp:base_site_url>https://old.example.com</wp:base_site_url>
	<wp:base_blog_url>https://old.example.com/blog</wp:base_blog_url>
{channel}
</channel>
</rss>
""".encode()


def item(post_id: int, **fields: str) -> str:
    """An <item>; `fields` override the wp: elements (post_type, status, post_date_gmt...)."""
    values = {
        "post_name": f"post-{post_id}",
        "status": "publish",
        "post_type": "post",
        "post_date": "2024-03-01 12:30:00",
        "post_date_gmt": "2024-03-01 11:30:00",
        "post_parent": "0",
        "menu_order": "0",
        "post_password": "",
        "is_sticky": "0",
        "comment_status": "open",
    } | fields
    wp = "\n".join(f"\t\t<wp:{k}><![CDATA[{v}]]></wp:{k}>" for k, v in values.items())
    return f"""	<item>
		<title><![CDATA[Post {post_id}]]></title>
		<link>https://old.example.com/{post_id}/</link>
		<guid isPermaLink="false">https://old.example.com/?p={post_id}</guid>
		<dc:creator><![CDATA[admin]]></dc:creator>
		<content:encoded><![CDATA[<p>Body of {post_id}</p>]]></content:encoded>
		<excerpt:encoded><![CDATA[]]></excerpt:encoded>
		<wp:post_id>{post_id}</wp:post_id>
{wp}
	</item>
"""
