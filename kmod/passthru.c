// SPDX-License-Identifier: GPL-2.0-only
/*
 * fwguard passthrough allowlists: which raw device commands cannot change
 * media. Used twice: by the request gate (gate.c) on the kernel's own copy
 * of the command, where the decision is final, and by the block ioctl hook
 * (hook.c) on the caller's copy, only to fail early with EPERM.
 *
 * Anything not listed is refused, including commands that only change
 * settings: the list is short on purpose, and a command nobody thought of
 * fails closed.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/nvme.h>
#include <scsi/scsi_proto.h>

#include "fwguard.h"

/* ATA PASS-THROUGH protocols that move no data to the device. */
#define ATA_PROT_NON_DATA	3
#define ATA_PROT_PIO_IN		4

#define ATA_CMD_IDENTIFY	0xec
#define ATA_CMD_IDENTIFY_PKT	0xa1
#define ATA_CMD_SMART		0xb0
#define ATA_CMD_READ_LOG_EXT	0x2f
#define ATA_CMD_CHECK_POWER	0xe5
#define ATA_SMART_READ_DATA	0xd0
#define ATA_SMART_READ_THRESH	0xd1
#define ATA_SMART_READ_LOG	0xd5
#define ATA_SMART_STATUS	0xda

static bool fwguard_ata_allowed(u8 protocol, u8 command, u8 feature)
{
	if (protocol != ATA_PROT_NON_DATA && protocol != ATA_PROT_PIO_IN)
		return false;
	switch (command) {
	case ATA_CMD_IDENTIFY:
	case ATA_CMD_IDENTIFY_PKT:
	case ATA_CMD_READ_LOG_EXT:
	case ATA_CMD_CHECK_POWER:
		return true;
	case ATA_CMD_SMART:
		return feature == ATA_SMART_READ_DATA ||
		       feature == ATA_SMART_READ_THRESH ||
		       feature == ATA_SMART_READ_LOG ||
		       feature == ATA_SMART_STATUS;
	}
	return false;
}

/**
 * fwguard_scsi_cdb_allowed() - may this SCSI command reach a protected disk?
 * @cdb: command descriptor block
 * @len: its length in bytes
 *
 * Allowed: inquiries and reports (INQUIRY, READ CAPACITY, TEST UNIT READY,
 * MODE/LOG SENSE, REQUEST SENSE, REPORT LUNS, MAINTENANCE IN reports,
 * SECURITY PROTOCOL IN, GET EVENT STATUS), READ(6/10/12/16), cache flushes
 * and power/removal control the sd driver itself sends (SYNCHRONIZE CACHE,
 * START STOP UNIT, PREVENT ALLOW MEDIUM REMOVAL), and ATA PASS-THROUGH
 * carrying IDENTIFY, SMART reads, READ LOG EXT or CHECK POWER MODE without
 * data to the device.
 *
 * Return: true when the command cannot change media.
 */
bool notrace fwguard_scsi_cdb_allowed(const u8 *cdb, unsigned int len)
{
	if (len < 6)
		return false;
	switch (cdb[0]) {
	case TEST_UNIT_READY:
	case REQUEST_SENSE:
	case INQUIRY:
	case MODE_SENSE:
	case START_STOP:
	case ALLOW_MEDIUM_REMOVAL:
	case READ_6:
		return true;
	case READ_CAPACITY:
	case READ_10:
	case MODE_SENSE_10:
	case LOG_SENSE:
	case SYNCHRONIZE_CACHE:
	case GET_EVENT_STATUS_NOTIFICATION:
		return len >= 10;
	case REPORT_LUNS:
	case READ_12:
	case MAINTENANCE_IN:
	case SECURITY_PROTOCOL_IN:
		return len >= 12;
	case READ_16:
	case SYNCHRONIZE_CACHE_16:
		return len >= 16;
	case SERVICE_ACTION_IN_16:
		return len >= 16 && ((cdb[1] & 0x1f) == SAI_READ_CAPACITY_16 ||
				     (cdb[1] & 0x1f) == SAI_GET_LBA_STATUS);
	case ATA_12:
		return len >= 12 &&
		       fwguard_ata_allowed((cdb[1] >> 1) & 0xf, cdb[9], cdb[3]);
	case ATA_16:
		return len >= 16 &&
		       fwguard_ata_allowed((cdb[1] >> 1) & 0xf, cdb[14], cdb[4]);
	}
	return false;
}

/* Set Features identifiers the NVMe driver itself sets; none moves data. */
static bool fwguard_nvme_driver_feature(u8 fid)
{
	switch (fid) {
	case NVME_FEAT_NUM_QUEUES:
	case NVME_FEAT_VOLATILE_WC:
	case NVME_FEAT_ASYNC_EVENT:
	case NVME_FEAT_AUTO_PST:
	case NVME_FEAT_HOST_MEM_BUF:
	case NVME_FEAT_TIMESTAMP:
	case NVME_FEAT_KATO:
	case NVME_FEAT_HOST_BEHAVIOR:
		return true;
	}
	return false;
}

/*
 * Admin commands only the driver may send (queue set-up and teardown at
 * probe and reset, aborts, event requests, keep-alive, fabrics connect):
 * none changes media, but from userspace they would hand the controller
 * memory or queues of the caller's choosing.
 */
static bool fwguard_nvme_driver_admin(const struct nvme_command *c)
{
	switch (c->common.opcode) {
	case nvme_admin_delete_sq:
	case nvme_admin_create_sq:
	case nvme_admin_delete_cq:
	case nvme_admin_create_cq:
	case nvme_admin_abort_cmd:
	case nvme_admin_async_event:
	case nvme_admin_keep_alive:
	case nvme_admin_dbbuf:
	case nvme_fabrics_command:
		return true;
	case nvme_admin_set_features:
		return fwguard_nvme_driver_feature(le32_to_cpu(c->common.cdw10) & 0xff);
	}
	return false;
}

/**
 * fwguard_nvme_cmd_allowed() - may this NVMe command reach a protected controller?
 * @c: the command
 * @admin: whether it is queued on the admin queue
 * @user: whether it came from userspace (ioctl, io_uring); unknown origin
 *	must pass true
 *
 * Allowed from anyone: Identify, Get Log Page, Get Features and Security
 * Receive on the admin queue; Read, Compare and Zone Management Receive
 * (a report) on an I/O queue. From the
 * driver only, additionally: queue management, Abort, Asynchronous Event
 * Request, Keep Alive, Doorbell Buffer Config, fabrics commands and Set
 * Features of the identifiers it sets itself. Everything else (Format NVM,
 * Sanitize, Firmware Download/Commit, Namespace Management/Attachment,
 * Security Send, any other Set Features, Write, Write Zeroes, Dataset
 * Management, reservations, vendor commands) is refused.
 *
 * Return: true when the command cannot change media.
 */
bool notrace fwguard_nvme_cmd_allowed(const struct nvme_command *c, bool admin,
				      bool user)
{
	u8 op = c->common.opcode;

	/* Zone Management Receive: the driver's zone report on a ZNS namespace. */
	if (!admin)
		return op == nvme_cmd_read || op == nvme_cmd_compare ||
		       op == nvme_cmd_zone_mgmt_recv;
	switch (op) {
	case nvme_admin_identify:
	case nvme_admin_get_log_page:
	case nvme_admin_get_features:
	case nvme_admin_security_recv:
		return true;
	}
	return !user && fwguard_nvme_driver_admin(c);
}
