/**
 * Core (docs/architecture.md): offline statistics (DEIS-SN score tables, score-optimal schedules). Pure Java.
 */
package org.diffsweep.stats;
