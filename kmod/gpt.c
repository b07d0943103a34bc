// SPDX-License-Identifier: GPL-2.0-only
/*
 * fwguard's own reading of a disk's GUID partition table. A protected range
 * is bound to what root cannot change once the first range of a disk is
 * protected: the disk GUID, the partition's unique GUID and its exact LBA
 * extent, as the GPT on the medium says. The module reads both headers and
 * both entry arrays itself, with bios on the whole disk (so it works on a
 * disk that device_add_disk() has not made visible yet, and never trusts the
 * page cache), checks every CRC and that the two copies agree, and refuses
 * a disk whose table is anything less than consistent. The areas it read
 * are protected like a slot afterwards (range.c), so the next boot's
 * protect= finds the same entries.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/crc32.h>
#include <linux/ctype.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "fwguard.h"

#define GPT_SIGNATURE		0x5452415020494645ULL	/* "EFI PART" */
#define GPT_HEADER_MIN		92
#define GPT_ENTRY_SIZE		128
/* Largest entry array read: 512 entries; sgdisk and the UEFI default use 128. */
#define GPT_ENTRIES_MAX_BYTES	(64 * 1024)

struct gpt_header {
	__le64 signature;
	__le32 revision;
	__le32 header_size;
	__le32 header_crc32;
	__le32 reserved;
	__le64 my_lba;
	__le64 alternate_lba;
	__le64 first_usable_lba;
	__le64 last_usable_lba;
	u8 disk_guid[16];
	__le64 entries_lba;
	__le32 nr_entries;
	__le32 entry_size;
	__le32 entries_crc32;
} __packed;

struct gpt_entry {
	u8 type_guid[16];
	u8 unique_guid[16];
	__le64 first_lba;
	__le64 last_lba;
	__le64 attributes;
	__le16 name[FWGUARD_GPT_NAME_LEN];
} __packed;

static u32 gpt_crc(const void *buf, size_t len)
{
	return crc32_le(~0U, buf, len) ^ ~0U;
}

/* Read @len bytes at logical block @lba of @whole into @buf (kmalloc'ed). */
static int gpt_read(struct block_device *whole, u64 lba, unsigned int lbs,
		    void *buf, size_t len)
{
	unsigned int nr_pages = DIV_ROUND_UP(len, PAGE_SIZE), i;
	struct bio *bio;
	int err;

	bio = bio_alloc(whole, nr_pages, REQ_OP_READ | REQ_SYNC, GFP_KERNEL);
	if (!bio)
		return -ENOMEM;
	bio->bi_iter.bi_sector = lba * (lbs >> SECTOR_SHIFT);
	for (i = 0; i < nr_pages; i++) {
		void *p = buf + i * PAGE_SIZE;
		size_t n = min_t(size_t, PAGE_SIZE, len - i * PAGE_SIZE);

		if (bio_add_page(bio, virt_to_page(p), n, offset_in_page(p)) != n) {
			bio_put(bio);
			return -EIO;
		}
	}
	err = submit_bio_wait(bio);
	bio_put(bio);
	return err;
}

/* Header at @lba is a GPT header describing a disk of @last_lba + 1 blocks. */
static int gpt_header_check(struct gpt_header *h, u64 lba, u64 last_lba,
			    unsigned int lbs)
{
	u32 size = le32_to_cpu(h->header_size), crc = le32_to_cpu(h->header_crc32);
	u64 entries_end;

	if (le64_to_cpu(h->signature) != GPT_SIGNATURE ||
	    size < GPT_HEADER_MIN || size > lbs)
		return -EUCLEAN;
	h->header_crc32 = 0;
	if (gpt_crc(h, size) != crc)
		return -EUCLEAN;
	h->header_crc32 = cpu_to_le32(crc);
	if (le64_to_cpu(h->my_lba) != lba ||
	    le32_to_cpu(h->entry_size) != GPT_ENTRY_SIZE ||
	    !le32_to_cpu(h->nr_entries) ||
	    le32_to_cpu(h->nr_entries) > GPT_ENTRIES_MAX_BYTES / GPT_ENTRY_SIZE ||
	    le64_to_cpu(h->first_usable_lba) > le64_to_cpu(h->last_usable_lba) ||
	    le64_to_cpu(h->last_usable_lba) >= last_lba)
		return -EUCLEAN;
	/* The entry array lies outside the usable area, on its own side. */
	entries_end = le64_to_cpu(h->entries_lba) +
		      DIV_ROUND_UP(le32_to_cpu(h->nr_entries) * GPT_ENTRY_SIZE, lbs);
	if (lba == 1 ? le64_to_cpu(h->entries_lba) < 2 ||
		       entries_end > le64_to_cpu(h->first_usable_lba) :
		       le64_to_cpu(h->entries_lba) <= le64_to_cpu(h->last_usable_lba) ||
		       entries_end > lba)
		return -EUCLEAN;
	return 0;
}

/* Read and check the header at @lba and its entry array; *@entries is kmalloc'ed. */
static int gpt_read_copy(struct block_device *whole, u64 lba, u64 last_lba,
			 unsigned int lbs, struct gpt_header *h, void **entries)
{
	void *block, *array;
	size_t len;
	int err;

	block = kmalloc(max_t(unsigned int, lbs, PAGE_SIZE), GFP_KERNEL);
	if (!block)
		return -ENOMEM;
	err = gpt_read(whole, lba, lbs, block, lbs);
	if (!err) {
		memcpy(h, block, sizeof(*h));
		err = gpt_header_check(h, lba, last_lba, lbs);
	}
	kfree(block);
	if (err)
		return err;

	len = le32_to_cpu(h->nr_entries) * GPT_ENTRY_SIZE;
	array = kmalloc(round_up(len, max_t(unsigned int, lbs, PAGE_SIZE)), GFP_KERNEL);
	if (!array)
		return -ENOMEM;
	err = gpt_read(whole, le64_to_cpu(h->entries_lba), lbs, array,
		       round_up(len, lbs));
	if (!err && gpt_crc(array, len) != le32_to_cpu(h->entries_crc32))
		err = -EUCLEAN;
	if (err) {
		kfree(array);
		return err;
	}
	*entries = array;
	return 0;
}

/* The two copies describe the same table (their entry arrays are compared apart). */
static bool gpt_copies_agree(const struct gpt_header *p, const struct gpt_header *b,
			     u64 last_lba)
{
	return le64_to_cpu(p->alternate_lba) == last_lba &&
	       le64_to_cpu(b->alternate_lba) == 1 &&
	       p->first_usable_lba == b->first_usable_lba &&
	       p->last_usable_lba == b->last_usable_lba &&
	       !memcmp(p->disk_guid, b->disk_guid, sizeof(p->disk_guid)) &&
	       p->nr_entries == b->nr_entries &&
	       p->entries_crc32 == b->entries_crc32;
}

static void gpt_fill(struct fwguard_gpt *g, const struct gpt_header *p,
		     const struct gpt_header *b, unsigned int lbs, u64 last_lba)
{
	unsigned int f = lbs >> SECTOR_SHIFT;
	size_t len = le32_to_cpu(p->nr_entries) * GPT_ENTRY_SIZE;

	import_guid(&g->disk_guid, p->disk_guid);
	g->sectors_per_lba = f;
	g->nr_entries = le32_to_cpu(p->nr_entries);
	g->primary_sectors = (le64_to_cpu(p->entries_lba) + DIV_ROUND_UP(len, lbs)) * f;
	g->backup_start = le64_to_cpu(b->entries_lba) * f;
	g->backup_sectors = (last_lba + 1) * f - g->backup_start;
}

/**
 * fwguard_gpt_read() - read and verify the GPT of a whole disk
 * @disk: the disk; need not be added yet, its queue must take I/O
 * @g: filled on success; release with fwguard_gpt_free()
 *
 * Both headers (LBA 1 and the last LBA) and both entry arrays are read from
 * the medium; every CRC must match, the backup must sit at the disk's last
 * LBA and describe the same table with a byte-identical entry array.
 *
 * Return: 0; -EUCLEAN when the disk has no GPT or either copy is corrupt or
 * they disagree; -EIO when a read failed; -ENOMEM.
 */
int fwguard_gpt_read(struct gendisk *disk, struct fwguard_gpt *g)
{
	unsigned int lbs = queue_logical_block_size(disk->queue);
	u64 last_lba = (get_capacity(disk) >> (ilog2(lbs) - SECTOR_SHIFT));
	struct gpt_header p, b;
	void *pe = NULL, *be = NULL;
	int err;

	memset(g, 0, sizeof(*g));
	if (last_lba < 6)
		return -EUCLEAN;
	last_lba--;
	err = gpt_read_copy(disk->part0, 1, last_lba, lbs, &p, &pe);
	if (!err)
		err = gpt_read_copy(disk->part0, last_lba, last_lba, lbs, &b, &be);
	if (!err && (!gpt_copies_agree(&p, &b, last_lba) ||
		     memcmp(pe, be, le32_to_cpu(p.nr_entries) * GPT_ENTRY_SIZE)))
		err = -EUCLEAN;
	kfree(be);
	if (err) {
		kfree(pe);
		return err;
	}
	gpt_fill(g, &p, &b, lbs, last_lba);
	g->entries = pe;
	return 0;
}

/**
 * fwguard_gpt_free() - release what fwguard_gpt_read() allocated
 * @g: the table; may be zeroed
 */
void fwguard_gpt_free(struct fwguard_gpt *g)
{
	kfree(g->entries);
	g->entries = NULL;
}

static const struct gpt_entry *gpt_entry(const struct fwguard_gpt *g, unsigned int i)
{
	return (const struct gpt_entry *)g->entries + i;
}

static bool gpt_entry_used(const struct gpt_entry *e)
{
	return memchr_inv(e->type_guid, 0, sizeof(e->type_guid)) != NULL;
}

/* The name as the kernel's partition scan shows it (PARTNAME): 7-bit, '!' for the unprintable. */
static void gpt_entry_name(const struct gpt_entry *e, char *out)
{
	unsigned int i;

	for (i = 0; i < FWGUARD_GPT_NAME_LEN; i++) {
		u8 c = le16_to_cpu(e->name[i]) & 0x7f;

		out[i] = c && !isprint(c) ? '!' : c;
	}
	out[FWGUARD_GPT_NAME_LEN] = 0;
}

static void gpt_part_fill(const struct fwguard_gpt *g, unsigned int i,
			  struct fwguard_gpt_part *e)
{
	const struct gpt_entry *pe = gpt_entry(g, i);
	u64 first = le64_to_cpu(pe->first_lba), last = le64_to_cpu(pe->last_lba);

	e->index = i;
	e->start = first * g->sectors_per_lba;
	e->nr_sectors = (last - first + 1) * g->sectors_per_lba;
	import_guid(&e->guid, pe->unique_guid);
	gpt_entry_name(pe, e->name);
}

/**
 * fwguard_gpt_entry_at() - the entry with exactly a given extent
 * @g: verified table
 * @start: first sector (512 bytes), absolute on the disk
 * @nr: number of sectors
 * @e: filled with the entry's identity
 *
 * Return: 0; -ENOENT when no used entry covers exactly these sectors.
 */
int fwguard_gpt_entry_at(const struct fwguard_gpt *g, sector_t start,
			 sector_t nr, struct fwguard_gpt_part *e)
{
	unsigned int i;

	for (i = 0; i < g->nr_entries; i++) {
		const struct gpt_entry *pe = gpt_entry(g, i);
		u64 first = le64_to_cpu(pe->first_lba), last = le64_to_cpu(pe->last_lba);

		if (!gpt_entry_used(pe) || last < first ||
		    first * g->sectors_per_lba != start ||
		    (last - first + 1) * g->sectors_per_lba != nr)
			continue;
		gpt_part_fill(g, i, e);
		return 0;
	}
	return -ENOENT;
}

/**
 * fwguard_gpt_entry_named() - the one entry carrying a name
 * @g: verified table
 * @name: PARTNAME as protect= gives it
 * @e: filled with the entry's identity
 *
 * Return: 0; -ENOENT when no entry has the name; -ENOTUNIQ when two do (a
 * name that does not say which partition it is must not pick one).
 */
int fwguard_gpt_entry_named(const struct fwguard_gpt *g, const char *name,
			    struct fwguard_gpt_part *e)
{
	char buf[FWGUARD_GPT_NAME_LEN + 1];
	int found = -1;
	unsigned int i;

	for (i = 0; i < g->nr_entries; i++) {
		const struct gpt_entry *pe = gpt_entry(g, i);

		gpt_entry_name(pe, buf);
		if (!gpt_entry_used(pe) || strcmp(buf, name))
			continue;
		if (found >= 0)
			return -ENOTUNIQ;
		found = i;
	}
	if (found < 0 ||
	    le64_to_cpu(gpt_entry(g, found)->last_lba) <
	    le64_to_cpu(gpt_entry(g, found)->first_lba))
		return -ENOENT;
	gpt_part_fill(g, found, e);
	return 0;
}

/**
 * fwguard_gpt_entry_unique() - is an entry's identity unambiguous on its disk?
 * @g: verified table
 * @e: an entry of @g
 *
 * Return: 0; -ENOTUNIQ when another used entry has the same non-empty name
 * or the same unique GUID.
 */
int fwguard_gpt_entry_unique(const struct fwguard_gpt *g,
			     const struct fwguard_gpt_part *e)
{
	char buf[FWGUARD_GPT_NAME_LEN + 1];
	unsigned int i;
	guid_t guid;

	for (i = 0; i < g->nr_entries; i++) {
		const struct gpt_entry *pe = gpt_entry(g, i);

		if (i == e->index || !gpt_entry_used(pe))
			continue;
		import_guid(&guid, pe->unique_guid);
		gpt_entry_name(pe, buf);
		if (guid_equal(&guid, &e->guid) || (e->name[0] && !strcmp(buf, e->name)))
			return -ENOTUNIQ;
	}
	return 0;
}
