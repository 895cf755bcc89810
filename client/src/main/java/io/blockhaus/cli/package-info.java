/**
 * bhctl, the operator's command-line client of the gRPC API: one class per subcommand on a
 * {@link io.blockhaus.cli.BaseCommand} (exit codes, stderr, the connection), output built once as
 * a {@link io.blockhaus.cli.Report} and rendered as a table or JSON by
 * {@link io.blockhaus.cli.FormatMixin}, so scripts and people see the same figures.
 */
package io.blockhaus.cli;
