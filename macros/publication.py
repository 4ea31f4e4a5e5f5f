"""Publication settings: who publishes this site, where, under which terms, and whom to ask.

They are not part of the document (the source gives no licence, no contact and no web address), so they live
in their own file, `data/publication.yaml`, with their own model. Every setting is optional, and an unset
setting means that the site says nothing about it: no licence is claimed, no contact is shown, no address is
printed on the PDF cover. No MkDocs here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, StringConstraints, ValidationError

from .loader import DataError, Problem, load_file
from .model import Model, Text, _message

PUBLICATION_FILE = "data/publication.yaml"

HttpsUrl = Annotated[
    str,
    StringConstraints(pattern=r"^https://[^\s<>\"'`{}|\\^]+$"),
    Field(description="https:// で始まるアドレス", examples=["https://www.city.morioka.iwate.jp/"]),
]
SiteUrl = Annotated[
    str,
    StringConstraints(pattern=r"^https://[^\s<>\"'`{}|\\^]+/$"),
    Field(
        description="https:// で始まり / で終わるアドレス", examples=["https://example.github.io/strategy/"]
    ),
]
Email = Annotated[str, StringConstraints(pattern=r"^[^@\s<>\"']+@[^@\s<>\"']+\.[^@\s<>\"']+$")]
Phone = Annotated[str, StringConstraints(pattern=r"^[0-9０-９\-‐（）() ]+$")]


class Licence(Model):
    """The terms under which the publisher lets others reuse the content."""

    name: Text = Field(description="ライセンスの名前（例: クリエイティブ・コモンズ 表示 4.0 国際）")
    url: HttpsUrl = Field(description="ライセンスの条文のアドレス")
    attribution: Text = Field(description="二次利用する人が書く出典の表示")


class Contact(Model):
    """Whom readers ask about the content (問い合わせ先)."""

    name: Text = Field(description="問い合わせ先の名前（例: 盛岡市 ○○部 ○○課）")
    phone: Phone | None = Field(default=None, description="電話番号")
    email: Email | None = Field(default=None, description="メールアドレス")
    url: HttpsUrl | None = Field(default=None, description="問い合わせ先のページのアドレス")


class Publication(Model):
    """Publication settings. Unset means that the site says nothing about it."""

    publisher: Text | None = Field(default=None, description="このサイトと PDF の発行者")
    site_url: SiteUrl | None = Field(
        default=None,
        description="このサイトを公開するアドレス。環境変数 SITE_URL があれば、そちらを使います。",
    )
    licence: Licence | None = Field(
        default=None,
        description="利用条件。発行者が決めるまで書きません（書かなければサイトは利用条件を示しません）。",
    )
    contact: Contact | None = Field(default=None, description="問い合わせ先")
    source_page: HttpsUrl | None = Field(
        default=None, description="原資料を掲載している市のウェブページのアドレス"
    )


def parse_publication(path: str | Path) -> Publication:
    """Load and validate the publication settings; a missing file means that nothing is set."""
    if not Path(path).exists():
        return Publication()
    loaded = load_file(path)
    problems = list(loaded.problems)
    if loaded.data is None:
        loaded.data = {}
    try:
        publication = Publication.model_validate(loaded.data)
    except ValidationError as exc:
        for error in exc.errors(include_url=False):
            line, column = loaded.locate(tuple(error["loc"]))
            problems.append(Problem(line, column, _publication_message(error), loaded.path))
    if problems:
        raise DataError(problems)
    return publication


def _publication_message(error: dict) -> str:
    """Japanese wording for one error (the document's wording, with this file's own keys)."""
    if error["type"] == "extra_forbidden":
        name = str(error["loc"][-1])
        model = Publication
        for part in error["loc"][:-1]:
            field = model.model_fields.get(str(part))
            inner = getattr(field, "annotation", None)
            model = next((a for a in getattr(inner, "__args__", (inner,)) if isinstance(a, type)), model)
        allowed = "、".join(getattr(model, "model_fields", {})) or "（なし）"
        return f"「{name}」という項目は使えません（綴りを確認してください）。使える項目: {allowed}"
    name = next((str(p) for p in reversed(error["loc"]) if isinstance(p, str)), "")
    if error["type"] == "missing":
        return f"必須の項目「{name}」がありません。追加してください。"
    if error["type"] == "string_type":
        return f'「{name}」は文字で書いてください。数字や true/false を文字として書くときは "…" で囲みます。'
    if error["type"] == "string_too_short":
        return f"「{name}」が空です。使わないときは、行ごと消してください。"
    if error["type"] in ("model_type", "model_attributes_type", "dict_type"):
        return f"「{name}」は「項目: 値」の組で書いてください（ファイルの中の例を参照してください）。"
    if error["type"] == "string_pattern_mismatch":
        wanted = {
            "site_url": "https:// で始まり / で終わるアドレス",
            "email": "メールアドレス（例: info@example.jp）",
            "phone": "電話番号（数字とハイフン）",
        }.get(name, "https:// で始まるアドレス")
        return f"「{name}」の値「{error['input']}」は使えません。{wanted}を書いてください。"
    return _message(error)
