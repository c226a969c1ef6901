/**
 * Core (docs/architecture.md): time grids, and what any family's grid reports
 * ({@link org.diffsweep.schedule.StepGrid}). Pure Java.
 */
package org.diffsweep.schedule;
