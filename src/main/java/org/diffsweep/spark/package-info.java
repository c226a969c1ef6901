/**
 * Outer layer (docs/architecture.md): planning, per-executor model cache, Parquet, commit and resume.
 */
package org.diffsweep.spark;
