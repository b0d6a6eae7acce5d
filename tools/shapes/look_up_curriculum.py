#!/usr/bin/env python3
"""The question files of docs/shapesworld.md's spatial curriculum ("A look-up task first unlocks
it"), written from a world's world.json (tooling of tools/shapes/make_base_model.sh).

Each scene is written as words with each object's cell on the image tokens' 4 × 4 grid of 16-px
cells ("small green star 3 1 ."), then a question:
  look-up  "Give the box of the diamond." -> "1 2" (the object's column and row)
  spatial  "Is the diamond below the star?" -> yes / no, asked only along an axis where the two are
           apart (boxes approximated as centre ± radius; the world's own boxes follow each shape)
With --span an object's place is the span of cells its box covers, which the image tokens can
show ("small green star 2 0 3 1 .": first column, first row, last column, last row), and so is
the look-up's answer.

  look_up_curriculum.py text WORLD OUT [--per N] [--spatial-only] [--span]   train scenes, words
  look_up_curriculum.py image WORLD OUT [--span] [--row-base 10] [--sft-categories C,…]
                              train scenes' images: 2 look-ups and 2 spatial questions a scene, then
                              the world's rows of those categories (default existence, counting,
                              attributes; OUT must be in WORLD/sft for the image paths). With
                              --row-base 10 the look-up answers the row as 10–13, as `sft
                              --image-word-places` writes it on the image tokens ("3 11")
  look_up_curriculum.py eval WORLD OUT [--span]                   the world's held-out spatial
                              questions after their scenes' words (ids as world.json's, for
                              `vlm-align shapes judge`)
"""
import argparse, json, random

AXES = (['left of', 'right of'], ['above', 'below'])


def cell(v):
    return min(3, max(0, int(v // 16)))


SPAN = False
ROW_BASE = 0


def place(o):
    """The object's cell, or with --span the cells its box covers (boxes as centre ± radius)."""
    if not SPAN:
        return f"{cell(o['x'])} {ROW_BASE + cell(o['y'])}"
    r = o['radius']
    return f"{cell(o['x'] - r)} {cell(o['y'] - r)} {cell(o['x'] + r - 1e-3)} {cell(o['y'] + r - 1e-3)}"


def words(scene):
    return ' '.join(f"{o['size']} {o['colour']} {o['shape']} {place(o)} ." for o in scene['objects'])


def referring(scene, o):
    """The shortest description naming only `o`, as Scene.referringDescription picks it."""
    for keys in (['shape'], ['colour', 'shape'], ['size', 'shape'], ['size', 'colour', 'shape']):
        d = {k: o[k] for k in keys}
        if sum(all(p[k] == v for k, v in d.items()) for p in scene['objects']) == 1:
            return ' '.join(d[k] for k in ('size', 'colour', 'shape') if k in d)


def holds(relation, a, b):
    p = (a['x'] - a['radius'], a['y'] - a['radius'], a['x'] + a['radius'], a['y'] + a['radius'])
    q = (b['x'] - b['radius'], b['y'] - b['radius'], b['x'] + b['radius'], b['y'] + b['radius'])
    return {'left of': p[2] <= q[0], 'right of': p[0] >= q[2], 'above': p[3] <= q[1], 'below': p[1] >= q[3]}[relation]


def questions(scene):
    """Every look-up and spatial question of the scene, in the order the experiments drew from."""
    asked = []
    for a in scene['objects']:
        da = referring(scene, a)
        if da:
            asked.append(('look_up', f"Give the box of the {da}.", place(a)))
        for b in scene['objects']:
            db = referring(scene, b)
            if a is b or not da or not db:
                continue
            for axis in AXES:
                if holds(axis[0], a, b) or holds(axis[0], b, a):
                    asked += [('spatial', f"Is the {da} {r} the {db}?", 'yes' if holds(r, a, b) else 'no') for r in axis]
    return asked


def row(id, category, text, answer, image=None):
    content = ([{"type": "image"}] if image else []) + [{"type": "text", "text": text}]
    return json.dumps({"category": category, "id": id, "images": [image] if image else [], "tags": [category],
                       "prompt": [{"role": "user", "content": content}],
                       "completion": [{"role": "assistant", "content": [{"type": "text", "text": answer}]}]})


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('kind', choices=['text', 'image', 'eval'])
    parser.add_argument('world')
    parser.add_argument('out')
    parser.add_argument('--per', type=int, default=4, help='questions a scene (text)')
    parser.add_argument('--spatial-only', action='store_true', help='no look-up questions (text)')
    parser.add_argument('--span', action='store_true', help='places as the span of cells an object covers')
    parser.add_argument('--row-base', type=int, default=0, help="image: the look-up's row written from this number up")
    parser.add_argument('--sft-categories', default='existence,counting,attributes',
                        help="image: the world's sft/train.jsonl categories added after the curriculum")
    args = parser.parse_args()
    global SPAN, ROW_BASE
    SPAN = args.span
    if args.kind != 'image' and (args.row_base or args.sft_categories != parser.get_default('sft_categories')):
        parser.error('--row-base and --sft-categories are for the image kind')
    if args.row_base and SPAN:
        parser.error('--row-base writes a cell, not a span')
    ROW_BASE = args.row_base
    sft_categories = set(args.sft_categories.split(','))
    known = {'existence', 'counting', 'spatial', 'attributes', 'negation', 'grounding', 'description', 'unanswerable'}
    if not sft_categories <= known:
        parser.error(f"--sft-categories: unknown {sorted(sft_categories - known)}")
    world = json.load(open(f'{args.world}/world.json'))
    split = {p['sceneID']: p['split'] for p in world['prompts']}
    rng = random.Random(1)
    with open(args.out, 'w') as out:
        if args.kind == 'eval':
            scenes = {s['id']: s for s in world['scenes']}
            for p in world['prompts']:
                if p['split'] == 'eval' and p['question'].get('spatial') is not None:
                    out.write(row(p['id'], 'spatial', words(scenes[p['sceneID']]) + ' ' + p['text'], p['reference']) + '\n')
            return
        for scene in world['scenes']:
            if split.get(scene['id']) != 'train':
                continue
            asked = questions(scene)
            look_ups = [q for q in asked if q[0] == 'look_up']
            spatial = [q for q in asked if q[0] == 'spatial']
            if args.kind == 'text':
                chosen = spatial if args.spatial_only else asked
                rng.shuffle(chosen)
                for i, (category, text, answer) in enumerate(chosen[:args.per]):
                    out.write(row(f"{scene['id']}-{i}", category, words(scene) + ' ' + text, answer) + '\n')
            else:
                rng.shuffle(look_ups)
                rng.shuffle(spatial)
                for i, (category, text, answer) in enumerate(look_ups[:2] + spatial[:2]):
                    out.write(row(f"{scene['id']}-{i}", category, text, answer, image=f"../images/{scene['id']}.png") + '\n')
        if args.kind == 'image':
            for line in open(f'{args.world}/sft/train.jsonl'):
                if json.loads(line)['category'] in sft_categories:
                    out.write(line)


if __name__ == '__main__':
    main()
