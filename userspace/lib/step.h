/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Which step of a command failed, and what kind of thing that step talks
 * to. Library calls made of several steps (install, verify, boot-verify,
 * ...) return 0 or -errno like every other library function, and name the
 * step they were in through a struct uc_step. The same errno means
 * different things from different sources (-ENOENT: a missing file, a
 * partition the kernel does not protect, a sealed record never written),
 * so the command layer maps the pair (source, errno) to an exit code, in
 * one place: cli/exit.c.
 */
#ifndef FWGUARD_LIB_STEP_H
#define FWGUARD_LIB_STEP_H

enum uc_source {
	UC_SRC_USAGE,	/* the command line or a configuration file */
	UC_SRC_INPUT,	/* a file named on the command line */
	UC_SRC_FILE,	/* the state directory, a partition, a download */
	UC_SRC_STATE,	/* the stored A/B slot state */
	UC_SRC_LOCK,	/* the single-instance lock */
	UC_SRC_NETWORK,	/* the update server */
	UC_SRC_VERIFY,	/* signature, ticket and device policy checks */
	UC_SRC_TPM,	/* the TPM and its sealed records */
	UC_SRC_KERNEL,	/* fwguard.ko: loading, keyring, partition policy */
	UC_SRC_GATE,	/* fwguard.ko's update session */
	UC_SRC_BOOT,	/* the bootloader: its environment, command line, executable */
};

struct uc_step {
	enum uc_source source;
	const char *name;	/* short, stable: "open-bundle", "tpm-open", ... */
};

/* With FWGUARD_TIMING set: @name and a timestamp on stderr (step.c). */
void uc_step_trace(const char *name);

/* Record that @step is now in the step @name talking to @source. */
static inline void uc_step_enter(struct uc_step *step, enum uc_source source, const char *name)
{
	step->source = source;
	step->name = name;
	uc_step_trace(name);
}

#endif /* FWGUARD_LIB_STEP_H */
