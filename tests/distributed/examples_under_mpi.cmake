# The examples run unchanged under mpirun: char_rnn with 2 ranks learns what one process with the
# same --batch learns (same checkpoint weights within 1e-5, the output printed once), and
# memory_horizon runs its sweep with 2 ranks, printing once.
# Called by CTest with -DMPIEXEC=... -DMPI_FLAGS=... -DCHAR_RNN=... -DMEMORY_HORIZON=...
# -DPYTHON=... -DWORK_DIR=...
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})
separate_arguments(mpi_flags UNIX_COMMAND "${MPI_FLAGS}")
set(train_args train --steps 6 --batch 4 --chunk 16 --embedding 8 --hidden 16 --eval-every 3
    --sample-length 10)

function(run name)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE code OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT code EQUAL 0)
    message(FATAL_ERROR "${name} failed (${code}):\n${out}\n${err}")
  endif()
  set(${name}_out "${out}" PARENT_SCOPE)
endfunction()

run(char_rnn_one ${CHAR_RNN} ${train_args} --out-dir ${WORK_DIR}/one)
run(char_rnn_two ${MPIEXEC} ${mpi_flags} -n 2 ${CHAR_RNN} ${train_args} --out-dir ${WORK_DIR}/two)
string(REGEX MATCHALL "step 6: train" printed "${char_rnn_two_out}")
list(LENGTH printed times)
if(NOT times EQUAL 1)
  message(FATAL_ERROR "char_rnn under mpirun printed its step-6 report ${times} times, not once:\n${char_rnn_two_out}")
endif()
if(NOT char_rnn_two_out MATCHES "data-parallel over 2 ranks")
  message(FATAL_ERROR "char_rnn under mpirun did not run on 2 ranks:\n${char_rnn_two_out}")
endif()
# (No semicolons in the script: CMake would split the argument there.)
run(compare ${PYTHON} -c "
import numpy as np, sys
a = np.load(sys.argv[1])
b = np.load(sys.argv[2])
names = [n for n in a.files if n.startswith('model.')]
assert names and sorted(names) == sorted(n for n in b.files if n.startswith('model.')), 'different entries'
worst = max(float(np.abs(a[n] - b[n]).max()) for n in names)
print('largest weight difference', worst)
assert worst <= 1e-5, worst
" ${WORK_DIR}/one/checkpoint.npz ${WORK_DIR}/two/checkpoint.npz)
message(STATUS "char_rnn, 2 ranks vs 1 process: ${compare_out}")

run(memory_horizon ${MPIEXEC} ${mpi_flags} -n 2 ${MEMORY_HORIZON} --models lstm --gaps 2
    --seeds 1 --steps 20 --batch 8 --no-extras --out ${WORK_DIR}/memory_horizon)
string(REGEX MATCHALL "memory_horizon: 1 models" printed "${memory_horizon_out}")
list(LENGTH printed times)
if(NOT times EQUAL 1)
  message(FATAL_ERROR "memory_horizon under mpirun printed its header ${times} times:\n${memory_horizon_out}")
endif()
