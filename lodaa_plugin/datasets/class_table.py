# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""The per-class table a detection dataset logs when it is built."""
from collections import Counter
from typing import List, Sequence

from terminaltables import AsciiTable


def class_table(data_list: List[dict], classes: Sequence[str], title: str,
                ignored: str) -> str:
    """Tabulate images, objects and ignored objects per class.

    Args:
        data_list (list[dict]): mmdet data infos (``instances`` with
            ``bbox_label`` and ``ignore_flag``).
        classes (Sequence[str]): The class names, in label order.
        title (str): The table's title (the annotation files).
        ignored (str): What ignored objects are called: ``'difficult'``
            (VOC), ``'crowd'`` (COCO).

    Returns:
        str: The table, a total row last.
    """
    images, objects, flagged = Counter(), Counter(), Counter()
    for info in data_list:
        seen = set()
        for inst in info['instances']:
            label = inst['bbox_label']
            (flagged if inst['ignore_flag'] else objects)[label] += 1
            seen.add(label)
        images.update(seen)
    rows = [['class', 'images', 'objects', ignored]]
    rows += [[name, images[i], objects[i], flagged[i]]
             for i, name in enumerate(classes)]
    rows.append([
        'total',
        len(data_list),
        sum(objects.values()),
        sum(flagged.values())
    ])
    table = AsciiTable(rows, title=title)
    table.inner_footing_row_border = True
    return table.table
