"""The line patterns of the rule cleaner (WeChat header fields, markdown images, credits,
END markers, follow calls, newspaper bylines, separator lines), shared with the page-role step, which leaves
the lines these patterns own to the rules."""

from __future__ import annotations

import re

HEADER_FIELDS = {"文章作者": "author", "发布时间": "date", "发布地": "place", "原文链接": "url", "封面图链接": "cover_url"}
HEADER = re.compile(r"^\s*(文章作者|发布时间|发布地|原文链接|封面图链接)\s*[:：]\s*(.*?)\s*$")
IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
URL_LINE = re.compile(r"^\s*(https?://\S+)\s*$")
CREDIT = re.compile(r"^\s*(图|文|摄影|编辑|排版|审核|责编|校对|视觉|设计)\s*[｜|丨:：/]\s*\S.{0,20}$")
END = re.compile(r"^\s*[-—=_·\s]*(END|End|完|全文完)[-—=_·\s]*$")
FOLLOW_CALL = re.compile(r"扫码|读者群|关注我|标星|阅读原文|长按.*识别|二维码|和作者及时互动|和同行学习交流|点击.*关注|点这里")
BYLINE = re.compile(r"^\s*(本报记者|本报讯|特约记者|记者|通讯员)\s*(?=\S)")
BYLINE_PLACE = re.compile(r"\s(\S{2,4})报道\s*$")
# A line of separator marks only (----, ====, * * *, ———): between two articles of one file,
# or a rule at a page's end.
SEPARATOR = re.compile(r"^\s*(?:[-=_*~—─━·•#+]\s*){3,}$")
MARKUP = re.compile(r"\*\*|__|^\s*>\s?|^\s*[*+\-]\s+|^\s*#{1,6}\s*")
