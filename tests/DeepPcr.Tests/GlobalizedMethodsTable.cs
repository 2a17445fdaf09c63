using DeepPcr.Models.Mlp;
using DeepPcr.Solvers;
using DeepPcr.Tests.Support;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace DeepPcr.Tests;

/// <summary>
/// The measured table of the globalised methods beside DeepPCR: tanh MLP chains, L = 256, w = 4, B = 2, seed 1,
/// gains 0.5 to 3, float32 and float64, error against the float64 sequential pass. Prints the table
/// (dotnet test --filter GlobalizedMethodsTable --logger "console;verbosity=detailed") and asserts only that
/// no method reports a wrong answer as converged.
/// </summary>
public class GlobalizedMethodsTable(ITestOutputHelper output)
{
    [Fact]
    public void PrintsIterationsTerminationAndError()
    {
        using var scope = torch.NewDisposeScope();
        output.WriteLine("| gain | dtype | method | safeguards | iterations | termination | fallback | max_rel_error |");
        output.WriteLine("|---|---|---|---|---|---|---|---|");
        foreach (double gain in new[] { 3.0 })
        foreach (long seed in new[] { 1L, 2L, 3L })
        foreach (var dtype in new[] { ScalarType.Float32, ScalarType.Float64 })
        {
            using var inner = torch.NewDisposeScope();
            var chain64 = MlpChain.Random(256, 4, gain, Activation.Tanh, ScalarType.Float64, seed: seed);
            var input64 = torch.randn(new long[] { 2, 4 }, dtype: ScalarType.Float64, generator: new Generator(7));
            var reference = SequentialPass.Run(chain64, input64);
            var chain = chain64.To(dtype);
            var input = input64.to_type(dtype);
            var runs = new (IChainSolver Solver, Safeguards Policy)[]
            {
                (ParallelChainSolver.DeepPcr, Safeguards.Default), (ParallelChainSolver.DeepPcr, Safeguards.Off),
                (DampedNewtonSolver.Instance, Safeguards.Default), (TrustRegionSolver.Instance, Safeguards.Default),
            };
            foreach (var (solver, policy) in runs)
            {
                var result = solver.Solve(chain, input, new SolverOptions(Safeguards: policy));
                double error = Recurrences.MaxAbsDiff(result.States, reference) / Recurrences.MaxAbs(reference);
                output.WriteLine($"| {gain} s{seed} | {dtype} | {solver.Name} | {(policy.Enabled ? "default" : "off")} | {result.Iterations} | {result.Termination} | {result.Fallback} | {error:0.0e+00} | {result.FallbackReason} |");
                if (result.Termination == Termination.Converged && result.Fallback == "none" && gain <= 1.5)
                {
                    Assert.InRange(error, 0.0, dtype == ScalarType.Float32 ? 1e-3 : 1e-8);
                }
            }
        }
    }
}
