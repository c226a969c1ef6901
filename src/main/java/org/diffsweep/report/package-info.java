/**
 * Outer layer (docs/architecture.md): tables, plots and the HTML report.
 */
package org.diffsweep.report;
