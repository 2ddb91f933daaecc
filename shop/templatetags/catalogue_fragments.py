"""`{% shared_fragment "name" key… [unless value] %}…{% endshared_fragment %}`: a part of a page
that is the same for every visitor, rendered once and then served from the catalogue cache
(shop.catalogue_cache) until the catalogue changes or the cache time runs out.

The keys say what the fragment depends on besides the catalogue (a product's id, say). Never put
anything of the visitor inside: user, cart, size advice, saved photos, messages. A part that is
shared only for some visitors names what makes it personal after `unless`: when that value is true
(a shopper's size advice, say) the part is rendered for this request and not kept.

The one exception is the form token: a `{% csrf_token %}` inside a fragment is kept as a
placeholder and filled in with this request's token each time the fragment is served, so the
signed-in shopper's forms (the try-on panel's, the cart form after a try-on) can be shared too and
every form still carries the token of the session that asked for the page.
"""

from __future__ import annotations

from django import template
from django.template.base import FilterExpression, NodeList, Parser, Token
from django.template.defaulttags import CsrfTokenNode
from django.utils.safestring import SafeString, mark_safe

from shop.catalogue_cache import VERSION_CONTEXT_NAME, cached_value

register = template.Library()

# What a `{% csrf_token %}` renders inside a fragment that is kept: the same in every process, so a
# fragment stored by one (in Redis) is filled in by another. Only the whole hidden input is replaced:
# catalogue text is escaped, so it can never contain it.
CSRF_PLACEHOLDER = "shared-fragment-csrf-token"
_CSRF_TOKEN_NODE = CsrfTokenNode()
_CSRF_PLACEHOLDER_INPUT = _CSRF_TOKEN_NODE.render(template.Context({"csrf_token": CSRF_PLACEHOLDER}))


def _with_request_csrf_token(html: SafeString, context: template.Context) -> SafeString:
    """`html` with the form-token placeholder replaced by what `{% csrf_token %}` renders here."""
    if _CSRF_PLACEHOLDER_INPUT not in html:
        return html
    # Both pieces are rendered template output already (the fragment, and `{% csrf_token %}`'s input).
    return mark_safe(html.replace(_CSRF_PLACEHOLDER_INPUT, _CSRF_TOKEN_NODE.render(context)))  # noqa: S308


class SharedFragmentNode(template.Node):
    def __init__(
        self,
        nodelist: NodeList,
        name: FilterExpression,
        keys: list[FilterExpression],
        unless: FilterExpression | None,
    ) -> None:
        self.nodelist = nodelist
        self.name = name
        self.keys = keys
        self.unless = unless

    def render(self, context: template.Context) -> str:
        if self.unless is not None and self.unless.resolve(context):
            return self.nodelist.render(context)
        name = str(self.name.resolve(context))
        key = "\x1f".join(str(expression.resolve(context)) for expression in self.keys)
        html = cached_value(
            name=f"fragment:{name}",
            key=key,
            compute=lambda: self._render_to_keep(context),
            version=context.get(VERSION_CONTEXT_NAME),
        )
        return _with_request_csrf_token(html, context)

    def _render_to_keep(self, context: template.Context) -> SafeString:
        with context.push(csrf_token=CSRF_PLACEHOLDER):
            return self.nodelist.render(context)


@register.tag("shared_fragment")
def shared_fragment(parser: Parser, token: Token) -> SharedFragmentNode:
    bits = token.split_contents()
    if len(bits) < 2:
        raise template.TemplateSyntaxError(f"'{bits[0]}' needs a fragment name, then what the fragment depends on.")
    nodelist = parser.parse(("endshared_fragment",))
    parser.delete_first_token()
    keys, unless = bits[2:], None
    if "unless" in keys:
        position = keys.index("unless")
        if position != len(keys) - 2:
            raise template.TemplateSyntaxError(f"'{bits[0]}': 'unless' takes one value, at the end.")
        keys, unless = keys[:position], parser.compile_filter(keys[-1])
    name = parser.compile_filter(bits[1])
    return SharedFragmentNode(nodelist, name, [parser.compile_filter(key) for key in keys], unless)
