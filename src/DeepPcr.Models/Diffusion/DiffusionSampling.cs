using System.Diagnostics;
using DeepPcr.Solvers;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepPcr.Models.Diffusion;

/// <summary>What a sampler produced for N samples.</summary>
/// <param name="Samples">(N, w): x_0.</param>
/// <param name="Method">What actually ran (the core's method name; a fallback's when one ran).</param>
/// <param name="Iterations">The most iterations any sample chunk needed (T for sequential).</param>
/// <param name="PcrRounds">PCR rounds per linear solve.</param>
/// <param name="ErrorEstimate">The stop rule's final estimate, the largest over chunks.</param>
/// <param name="Termination">The worst termination over chunks.</param>
/// <param name="Fallbacks">Chunks that fell back.</param>
/// <param name="FunctionEvaluations">Step evaluations per sample.</param>
/// <param name="JacobianEvaluations">Jacobian evaluations per sample.</param>
/// <param name="Milliseconds">Wall time of the whole sampling.</param>
public sealed record SamplingResult(Tensor Samples, string Method, int Iterations, int PcrRounds, double ErrorEstimate,
    Termination Termination, int Fallbacks, double FunctionEvaluations, double JacobianEvaluations, double Milliseconds);

/// <summary>Runs a sampler over N samples in chunks, so that the dense Jacobians of one chunk bound the memory.</summary>
public static class DiffusionSampling
{
    /// <summary>Samples x_0 for every start x_T (N, w) with the pre-drawn noise (T, N, w).</summary>
    /// <param name="sampler">The sampler.</param>
    /// <param name="denoiser">The noise predictor.</param>
    /// <param name="schedule">The schedule.</param>
    /// <param name="start">(N, w): x_T.</param>
    /// <param name="noise">(T, N, w): sigma_t eps_t by step.</param>
    /// <param name="options">Tolerances and limits (the window comes from the sampler).</param>
    /// <param name="chunk">Samples solved at once. The dense Jacobians take T * chunk * w^2 numbers, three times over in PCR.</param>
    public static SamplingResult Run(DiffusionSampler sampler, Denoiser denoiser, NoiseSchedule schedule, Tensor start, Tensor noise, SolverOptions options, int chunk)
    {
        if (chunk < 1) throw new ArgumentOutOfRangeException(nameof(chunk), "The sample chunk must hold at least one sample.");
        using var noGrad = torch.no_grad();
        long count = start.size(0);
        var pieces = new List<Tensor>();
        int iterations = 0, rounds = 0, fallbacks = 0;
        double estimate = 0, evaluations = 0, jacobians = 0;
        var termination = Termination.Converged;
        string method = sampler.IsSequential ? "sequential" : "";
        var watch = Stopwatch.StartNew();
        for (long from = 0; from < count; from += chunk)
        {
            long size = Math.Min(chunk, count - from);
            var chain = new DiffusionChain(denoiser, schedule, noise.narrow(1, from, size));
            var solver = sampler.Solver(chain);
            var solution = solver.Solve(chain, start.narrow(0, from, size), options with { Window = sampler.Window });
            pieces.Add(solution.States[schedule.Steps - 1].clone());
            solution.States.Dispose();
            iterations = Math.Max(iterations, sampler.IsSequential ? schedule.Steps : solution.Iterations);
            rounds = Math.Max(rounds, solution.PcrRounds);
            if (!double.IsNaN(solution.FinalErrorEstimate)) estimate = Math.Max(estimate, solution.FinalErrorEstimate);
            if (solution.Fallback != Fallback.None) fallbacks++;
            if (solution.Termination > termination) termination = solution.Termination;
            method = solution.Fallback == Fallback.None || string.IsNullOrEmpty(method) ? solution.MethodName : method;
            evaluations += chain.FunctionEvaluations;
            jacobians += chain.JacobianEvaluations;
        }
        var samples = torch.cat(pieces, 0);
        return new SamplingResult(samples, method, iterations, rounds, estimate, termination, fallbacks,
            evaluations / count, jacobians / count, watch.Elapsed.TotalMilliseconds);
    }
}
