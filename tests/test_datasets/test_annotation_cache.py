# Copyright (c) LODAA authors. Licensed under the Apache License 2.0.
"""The annotation cache reuses unchanged files and re-parses changed ones."""
import os

from lodaa_plugin.datasets import LodaaVOCDataset
from lodaa_testing.voc_data import copy_voc_files, edit_xml

VOC_CLASSES = LodaaVOCDataset.METAINFO['classes']


def _dataset(root, ann_file, **kwargs):
    kwargs.setdefault('test_mode', True)
    return LodaaVOCDataset(
        data_root=root + '/', ann_file=ann_file, pipeline=[], **kwargs)


def test_annotation_cache_reuses_and_invalidates(tmp_path):
    from lodaa_plugin.datasets import load_voc_split
    from lodaa_plugin.datasets.annotation_cache import AnnotationCache
    root, year = copy_voc_files(tmp_path, ('000005', '000007', '000009'))
    split_file = str(year / 'ImageSets' / 'Main' / 'all.txt')
    cache_dir = str(tmp_path / 'cache')

    def load():
        cache = AnnotationCache(str(year), VOC_CLASSES, cache_dir)
        split = load_voc_split(split_file, str(year), VOC_CLASSES, cache=cache)
        cache.save()
        return cache, split

    first, split = load()
    assert (first.hits, first.misses) == (0, 3)
    second, again = load()
    assert (second.hits, second.misses) == (3, 0)
    assert [a.objects for _, _, a in again.images] == \
        [a.objects for _, _, a in split.images]
    # an edited file is parsed again; the others come from the cache
    edit_xml(year / 'Annotations' / '000007.xml',
             lambda r: r.find('object/name').__setattr__('text', 'horse'))
    third, edited = load()
    assert (third.hits, third.misses) == (2, 1)
    names = {i: [o.name for o in a.objects] for i, _, a in edited.images}
    assert names['000007'][0] == 'horse'
    # the dataset uses it: its result equals a fresh parse
    ds = _dataset(root, 'VOC2007/ImageSets/Main/all.txt')
    fresh = _dataset(
        root, 'VOC2007/ImageSets/Main/all.txt', cache_annotations=False)
    assert [ds.get_data_info(i)['instances'] for i in range(3)] == \
        [fresh.get_data_info(i)['instances'] for i in range(3)]


def test_cache_follows_content_not_size_and_mtime(tmp_path):
    from lodaa_plugin.datasets import AnnotationCache, load_voc_split
    _, year = copy_voc_files(tmp_path, ('000005', '000007'))
    split_file = str(year / 'ImageSets' / 'Main' / 'all.txt')
    xml = year / 'Annotations' / '000007.xml'

    def load():
        cache = AnnotationCache(str(year), VOC_CLASSES, str(tmp_path / 'c'))
        split = load_voc_split(split_file, str(year), VOC_CLASSES, cache=cache)
        cache.save()
        return {i: [o.name for o in a.objects] for i, _, a in split.images}, \
            split.errors

    def rewrite(old: str, new: str) -> None:
        # same length and the old modification time, as `cp -p` leaves it
        assert len(old) == len(new)
        stat = os.stat(xml)
        xml.write_text(xml.read_text().replace(old, new))
        os.utime(xml, ns=(stat.st_atime_ns, stat.st_mtime_ns))

    names, _ = load()
    assert names['000007'][0] == 'car'
    rewrite('<name>car</name>', '<name>cat</name>')
    names, _ = load()
    assert names['000007'][0] == 'cat'
    # an error is not remembered once the file is fixed
    rewrite('<name>cat</name>', '<name>cat</nane>')
    _, errors = load()
    assert len(errors) == 1 and '000007.xml' in errors[0]
    rewrite('<name>cat</nane>', '<name>bus</name>')
    names, errors = load()
    assert not errors and names['000007'][0] == 'bus'


def test_sizes_read_from_the_image_are_not_cached(tmp_path):
    from lodaa_plugin.datasets import AnnotationCache, load_voc_split
    _, year = copy_voc_files(tmp_path, ('000005', ))
    edit_xml(year / 'Annotations' / '000005.xml',
             lambda r: r.remove(r.find('size')))
    cache = AnnotationCache(str(year), VOC_CLASSES, str(tmp_path / 'c'))
    split = load_voc_split(
        str(year / 'ImageSets' / 'Main' / 'all.txt'),
        str(year),
        VOC_CLASSES,
        cache=cache)
    assert split.images[0][2].size_from_image
    assert cache.entries == {}
