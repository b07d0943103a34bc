# GPT helpers for disk image files (sourced; no loop devices, no mounts).
# gpt_part IMAGE LABEL: sets gpt_start and gpt_sectors (512-byte sectors)
# of the partition whose PARTLABEL is LABEL; fails if there is none.
gpt_part() {
	local img=$1 label=$2 line
	line=$(sgdisk -p "$img" 2>/dev/null |
		awk -v l="$label" '$1 ~ /^[0-9]+$/ && $NF == l { print $2, $3; exit }')
	if [ -z "$line" ]; then
		echo "gpt: no partition labelled '$label' on $img" >&2
		return 1
	fi
	gpt_start=${line% *}
	gpt_sectors=$(( ${line#* } - gpt_start + 1 ))
}

# gpt_write IMAGE LABEL FILE: write FILE at the start of the partition
# labelled LABEL, in place; refuses a FILE larger than the partition.
gpt_write() {
	local img=$1 label=$2 file=$3 size
	gpt_part "$img" "$label" || return 1
	size=$(stat -c %s "$file")
	if [ "$size" -gt $(( gpt_sectors * 512 )) ]; then
		echo "gpt: $file ($size bytes) does not fit in $label" >&2
		return 1
	fi
	dd if="$file" of="$img" bs=512 seek="$gpt_start" conv=notrunc,fsync status=none
}
