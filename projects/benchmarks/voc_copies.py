# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""A VOC-layout tree of any size made from a few real VOC files, to measure
how dataset building and loading scale (``benchmark_dataset.py``)."""
import os
import os.path as osp
import random


def copy_voc_sample(sample_year: str,
                    root: str,
                    num: int,
                    seed: int = 0) -> str:
    """Write a VOC2007-layout tree of ``num`` images made from a sample.

    Each annotation file is a distinct copy of a sample XML (a comment makes
    it unique, as real files are); each image is a link to the sample photo.

    Args:
        sample_year (str): A VOC year folder to copy from.
        root (str): Where ``VOCdevkit/VOC2007`` is written.
        num (int): Images in ``ImageSets/Main/trainval.txt``.
        seed (int): Seed of the comments. Defaults to 0.

    Returns:
        str: The ``VOCdevkit/`` root, with a trailing slash.
    """
    rng = random.Random(seed)
    year = osp.join(root, 'VOCdevkit', 'VOC2007')
    for sub in ('Annotations', 'JPEGImages', 'ImageSets/Main'):
        os.makedirs(osp.join(year, sub), exist_ok=True)
    ids = sorted(f[:-4]
                 for f in os.listdir(osp.join(sample_year, 'Annotations')))
    texts = {
        i: open(osp.join(sample_year, 'Annotations', f'{i}.xml')).read()
        for i in ids
    }
    names = []
    for n in range(num):
        src = ids[n % len(ids)]
        name = f'{n:06d}'
        # a distinct file each time, as the real ones are
        text = texts[src] + f'<!-- copy {n}, {rng.random()} -->\n'
        with open(osp.join(year, 'Annotations', f'{name}.xml'), 'w') as f:
            f.write(text)
        os.symlink(
            osp.join(sample_year, 'JPEGImages', f'{src}.jpg'),
            osp.join(year, 'JPEGImages', f'{name}.jpg'))
        names.append(name)
    with open(osp.join(year, 'ImageSets', 'Main', 'trainval.txt'), 'w') as f:
        f.write('\n'.join(names) + '\n')
    return osp.join(root, 'VOCdevkit') + '/'
