"""The person's own garment taken away where the new one does not reach, and the background put back
where a wide old garment (a maxi skirt, a bell sleeve) is taken away."""

from __future__ import annotations

import cv2
import numpy as np

from revetir.testing.drawn_people import TOP, WALL, full_length_person
from shop.product_art import GarmentDesign, GarmentPattern, GarmentStyle, render_garment
from tryon.pipeline import person
from tryon.pipeline.classic.engine import ClassicTryOnEngine
from tryon.pipeline.classic.old_garment import background_plate

NAVY = (31, 58, 110)


def test_a_rooms_horizontal_lines_are_continued_across_where_a_skirt_was():
    # A wall above a skirting board above a floor, hidden in the middle by a wide skirt.
    room = np.zeros((120, 160, 3), np.uint8)
    room[:60] = (200, 190, 170)  # wall
    room[60:70] = (90, 60, 40)  # skirting board
    room[70:] = (230, 230, 230)  # floor
    hidden = np.zeros((120, 160), bool)
    hidden[20:110, 50:110] = True
    photo = room.copy()
    photo[hidden] = (20, 20, 30)  # the skirt

    plate = background_plate(photo, hidden)

    # Away from where wall, board and floor meet (smoothed down the rows), each is continued as it was.
    for rows in (slice(25, 45), slice(88, 105)):
        error = np.abs(plate[rows, 50:110].astype(int) - room[rows, 50:110].astype(int)).max()
        assert error <= 3, f"rows {rows}: off by {error}"
    board = plate[65, 50:110].astype(int)
    assert (board.sum(axis=1) < 0.6 * room[40, 0].astype(int).sum()).all()  # the board runs on across, softened
    assert (plate[~hidden] == photo[~hidden]).all()  # nothing else changes


def test_the_background_blends_from_one_side_to_the_other():
    photo = np.zeros((10, 100, 3), np.uint8)
    photo[:, :40] = 0
    photo[:, 60:] = 200
    hidden = np.zeros((10, 100), bool)
    hidden[:, 40:60] = True

    row = background_plate(photo, hidden)[5, 40:60, 0].astype(int)

    assert row[0] < 30 and row[-1] > 170
    assert (np.diff(row) >= 0).all()  # no streak or ring: a plain ramp


def test_a_person_cut_by_the_photos_edge_takes_the_other_sides_background():
    photo = np.full((10, 50, 3), 120, np.uint8)
    photo[:, 30:] = 10
    hidden = np.zeros((10, 50), bool)
    hidden[:, 30:] = True

    assert (np.abs(background_plate(photo, hidden)[:, 30:].astype(int) - 120) <= 1).all()


def test_a_textured_floor_keeps_its_texture_where_a_skirt_was():
    # Tiles in narrow columns of two greys, hidden by a wide skirt: a blend from one side's colour to
    # the other's left a flat grey fog; the room mirrored in from each side keeps the tiles' contrast.
    floor = np.zeros((40, 120, 3), np.uint8)
    floor[:, :] = np.where((np.arange(120) // 4) % 2 == 0, 90, 200)[None, :, None]
    hidden = np.zeros((40, 120), bool)
    hidden[:, 40:80] = True
    photo = floor.copy()
    photo[hidden] = (20, 20, 30)

    plate = background_plate(photo, hidden).astype(int)

    near_each_side = np.r_[40:52, 68:80]  # the middle is a cross-fade of the two mirrored sides
    contrast = plate[20, near_each_side, 0].max() - plate[20, near_each_side, 0].min()
    assert contrast >= 100, f"the tiles' contrast is gone ({contrast})"
    assert set(np.unique(plate[:, 40:48, 0])) <= {90, 200}  # next to the edge: the tiles themselves


def test_rows_hidden_from_edge_to_edge_take_the_background_above_and_below():
    # A waist-up photo whose puff sleeves run off both sides: on those rows no background shows beside the
    # person, so the sleeves' print was kept. The wall above the shoulders and below the sleeves
    # (between arm and body) is continued down the columns instead.
    wall = (240, 200, 210)
    photo = np.zeros((60, 80, 3), np.uint8)
    photo[:] = wall
    hidden = np.zeros((60, 80), bool)
    hidden[20:40, :] = True  # the sleeves and the body between them, from edge to edge
    photo[hidden] = (180, 40, 70)  # the old top's print
    photo[20:40:4, ::4] = (20, 90, 40)

    plate = background_plate(photo, hidden)

    assert (np.abs(plate[20:40].astype(int) - wall).max(axis=2) <= 2).all()
    assert (plate[~hidden] == photo[~hidden]).all()


def test_a_pixel_hidden_every_way_keeps_its_colour():
    photo = np.full((10, 10, 3), 77, np.uint8)

    assert (background_plate(photo, np.ones((10, 10), bool)) == 77).all()


def flare_the_mask_missed(analysis) -> np.ndarray:
    """A bell sleeve's flare below the drawn person's left upper arm, off the body model's mask."""
    flare = np.zeros(analysis.person_mask.shape[:2], np.uint8)
    cv2.fillPoly(flare, [np.array([(352, 250), (382, 292), (378, 322), (350, 318)])], 1)
    return (flare > 0) & (analysis.person_mask == 0)


def test_a_flared_sleeve_the_person_mask_missed_goes_with_the_rest_of_the_old_top(monkeypatch):
    # The drawn person's grey top with a bell sleeve flaring out below the left upper arm, which the body
    # model's mask left out (pale, loose cloth): under a tank top the flare stayed as a grey remnant beside
    # the bare arm. It is the old top's colour, unlike the wall around the person, so it goes too.
    photo, analysis = full_length_person()
    flare = flare_the_mask_missed(analysis)
    photo[flare] = TOP
    monkeypatch.setattr(person, "analyse_body", lambda rgb: analysis)
    tank = np.asarray(render_garment(GarmentDesign(GarmentStyle.TANK, GarmentPattern.PLAIN, NAVY, NAVY)))

    result = ClassicTryOnEngine().run(photo, tank)

    image = np.asarray(result.image).astype(int)
    core = cv2.erode(flare.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    assert core.sum() > 200
    assert (np.abs(image[core] - WALL).max(axis=1) <= 12).mean() > 0.9, "the flare is not the wall behind it"
    # Every pixel the engine changed is on the person it reports, the missed flare included.
    changed = np.any(image != photo, axis=2)
    assert not np.any(changed & (result.person_mask == 0))
    assert result.person_mask[core].all()
    # The wall further out, beyond where the old garment was looked for, is untouched.
    assert not changed[250:330, 420:].any()


PALE_CYAN = (196, 230, 226)


def test_a_pale_sleeve_end_close_to_the_walls_colour_goes_with_the_rest_of_the_flare(monkeypatch):
    # A grey top printed with pale cyan stripes, whose bell sleeve flares past the mask: grey by the arm,
    # pale cyan at its end. A pale cyan poster on the wall makes that colour only a few times likelier
    # the old top's than the background's: the grey flare went, its pale end stayed as bits under the new
    # sleeve. Reached through the grey, it goes too; the poster, off the person, stays.
    photo, analysis = full_length_person()
    for row in range(220, 460, 24):
        stripe = np.zeros(photo.shape[:2], bool)
        stripe[row : row + 8] = True
        photo[stripe & (analysis.person_mask > 0) & np.all(photo == TOP, axis=2)] = PALE_CYAN
    photo[560:900, 0:120] = PALE_CYAN  # the poster
    flare = flare_the_mask_missed(analysis)
    photo[flare] = TOP
    end = flare & (np.arange(photo.shape[1])[None, :] >= 366)
    photo[end] = PALE_CYAN
    monkeypatch.setattr(person, "analyse_body", lambda rgb: analysis)
    tank = np.asarray(render_garment(GarmentDesign(GarmentStyle.TANK, GarmentPattern.PLAIN, NAVY, NAVY)))

    result = ClassicTryOnEngine().run(photo, tank)

    image = np.asarray(result.image).astype(int)
    core = cv2.erode(end.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    assert core.sum() > 50
    assert (np.abs(image[core] - WALL).max(axis=1) <= 12).mean() > 0.9, "the sleeve's end is not the wall"
    assert (image[560:900, 0:120] == PALE_CYAN).all(), "the poster is kept"
    changed = np.any(image != photo, axis=2)
    assert not changed[250:330, 420:].any()


OLD_SKIRT, SHOES = (40, 96, 64), (20, 20, 24)


def test_an_old_maxi_skirt_hanging_over_the_shoes_goes_there_too_and_the_shoes_stay(monkeypatch):
    # The drawn person in a green maxi skirt whose hem hangs over black shoes. Dressed in shorts, the
    # skirt beside the shoes stayed as a hem around the ankles: the feet were kept whole, a shoe's width
    # around the line down from each ankle, and the hem on them with it.
    photo, analysis = full_length_person()
    shoes = np.zeros(photo.shape[:2], np.uint8)
    for ankle_x in (188, 292):
        cv2.ellipse(shoes, (ankle_x, 876), (22, 14), 0, 0, 360, 1, -1)
    skirt = np.zeros(photo.shape[:2], np.uint8)
    cv2.fillPoly(skirt, [np.array([(180, 450), (300, 450), (350, 872), (130, 872)])], 1)
    photo[skirt > 0] = OLD_SKIRT
    photo[(shoes > 0) & (skirt == 0)] = SHOES
    analysis.person_mask[(skirt > 0) | (shoes > 0)] = 255
    monkeypatch.setattr(person, "analyse_body", lambda rgb: analysis)
    shorts = np.asarray(render_garment(GarmentDesign(GarmentStyle.SHORTS, GarmentPattern.PLAIN, NAVY, NAVY)))

    result = ClassicTryOnEngine().run(photo, shorts, garment_type="lower_body")

    image = np.asarray(result.image).astype(int)
    # Green as the skirt is (a navy-and-grey blend at the shorts' edge can lie as close to it channel by channel).
    near_skirt = (np.abs(image - OLD_SKIRT).max(axis=2) <= 30) & (image[:, :, 1] > image[:, :, 2])
    assert near_skirt[:820].sum() == 0  # above the feet it went before
    assert near_skirt[820:].sum() == 0, "the old skirt's hem is left around the feet"
    shoe_pixels = (shoes > 0) & (skirt == 0)
    assert (np.abs(image[shoe_pixels] - SHOES).max(axis=1) <= 12).mean() > 0.9, "the shoes are kept"


NECK_SKIN = (214, 170, 140)
TANNED_FOREARMS = (185, 125, 90)


def test_the_chest_bared_by_a_lower_neckline_goes_on_from_the_neck_without_a_seam(monkeypatch):
    # The drawn person with a long neck shaded like a cylinder (darker at its sides), tanned forearms and a
    # grey crew neck whose collar rises above the neck point. Under a tank top the collar stayed as a grey
    # band, and the chest below it was painted one flat colour, the forearms' darker tone: a sticker.
    photo, analysis = full_length_person({"left_shoulder": (310, 215), "right_shoulder": (170, 215)})
    columns = np.arange(222, 259)
    rounding = 0.7 + 0.3 * np.sqrt(np.clip(1 - ((columns - 240) / 19) ** 2, 0, 1))
    photo[130:224, 222:259] = (np.array(NECK_SKIN)[None, :] * rounding[:, None]).astype(np.uint8)[None]
    analysis.person_mask[130:224, 222:259] = 255
    photo[176:224, 222:259] = TOP  # the collar, above the neck point (y 185)
    forearms = np.all(photo == NECK_SKIN, axis=2)
    forearms[:250] = forearms[520:] = False
    photo[forearms] = TANNED_FOREARMS
    monkeypatch.setattr(person, "analyse_body", lambda rgb: analysis)
    tank = np.asarray(render_garment(GarmentDesign(GarmentStyle.TANK, GarmentPattern.PLAIN, NAVY, NAVY)))

    result = ClassicTryOnEngine().run(photo, tank)

    image = np.asarray(result.image).astype(int)
    inner = slice(226, 255)
    assert (np.abs(image[178:186, inner] - TOP).max(axis=2) > 30).all(), "the old collar is left round the neck"
    neck = image[170, inner]  # the visible neck just above the collar
    for row in range(174, 187):  # the neck's colours go on down each column, its darker sides too
        off = np.abs(image[row, inner] - neck).max()
        assert off <= 12, f"row {row}: a seam under the neck, off by {off}"
    assert image[184, 226].sum() < image[184, 240].sum() - 24, "the chest has no shading"
    chest = image[205:216, inner].reshape(-1, 3).mean(axis=0)
    assert np.abs(chest - np.array(NECK_SKIN)).max() <= 12, f"the chest {chest} is not the neck's tone"


KHAKI, WARM_SHADOW = (148, 134, 113), (180, 152, 119)


def test_an_old_garments_shadow_beside_a_hand_resting_on_it_goes_and_the_hand_stays(monkeypatch):
    # The drawn person (skin and khaki shorts a little grainy, as in a photo) with a small hand resting on
    # the thigh and the shorts' warm shadow beside it, inside the hand's disc: only about 1.5 times likelier
    # the shorts' colour than skin's, short of the 2 needed, it stayed as a patch of old shorts beside the
    # hand under a dress, kept as part of the hand. Reached from the shorts, it goes; the hand stays.
    elbow, wrist, knuckles = (335, 330), (290, 470), (286, 494)
    photo, analysis = full_length_person({"left_elbow": elbow, "left_wrist": wrist})
    arms = np.zeros(photo.shape[:2], np.uint8)
    for line in ((elbow, wrist), ((140, 320), (150, 440))):
        cv2.line(arms, *line, 1, 28)
    cv2.circle(arms, wrist, 14, 1, -1)
    cv2.circle(arms, knuckles, 11, 1, -1)  # a hand smaller than its disc
    cv2.circle(arms, (146, 464), 16, 1, -1)
    hand = np.zeros(photo.shape[:2], np.uint8)
    cv2.circle(hand, knuckles, 8, 1, -1)
    rows, columns = np.indices(photo.shape[:2])
    shorts = (analysis.person_mask > 0) & (rows >= 460) & (rows < 600) & (arms == 0)
    grain = np.random.default_rng(0).normal(0, 3, photo.shape)
    skin = np.all(photo == NECK_SKIN, axis=2)
    photo[skin] = np.clip(np.array(NECK_SKIN) + grain[skin], 0, 255).astype(np.uint8)
    photo[shorts] = np.clip(np.array(KHAKI) + grain[shorts], 0, 255).astype(np.uint8)
    shadow = shorts & ((columns - 288) ** 2 + (rows - 488) ** 2 <= 22**2) & (columns > 288)
    photo[shadow] = WARM_SHADOW
    monkeypatch.setattr(person, "analyse_body", lambda rgb: analysis)
    dress = np.asarray(render_garment(GarmentDesign(GarmentStyle.STRAP_DRESS, GarmentPattern.PLAIN, NAVY, NAVY)))

    result = ClassicTryOnEngine().run(photo, dress, garment_type="full_body")

    image = np.asarray(result.image).astype(int)
    assert shadow.sum() > 100
    kept = (np.abs(image[shadow] - WARM_SHADOW).max(axis=1) <= 20).mean()
    assert kept < 0.1, f"{kept:.0%} of the shorts' shadow beside the hand is left"
    assert (np.abs(image[hand > 0] - NECK_SKIN).max(axis=1) <= 15).mean() > 0.95, "the hand is kept"
    forearm = np.zeros(photo.shape[:2], np.uint8)
    cv2.line(forearm, (330, 350), (305, 420), 1, 12)
    assert (np.abs(image[forearm > 0] - NECK_SKIN).max(axis=1) <= 15).mean() > 0.95, "the forearm is kept"
