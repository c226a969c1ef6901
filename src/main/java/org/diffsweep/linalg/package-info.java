/**
 * Core (docs/architecture.md): the dense linear algebra the metrics need. Pure Java over a native BLAS/LAPACK.
 */
package org.diffsweep.linalg;
