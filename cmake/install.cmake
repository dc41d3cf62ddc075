# install.cmake - what `make install` (cmake --install) puts where: the
# binaries, libvitals.so.0 and libvitals.a, the header, libvitals.pc, the
# CMake package (find_package(vitals) -> vitals::vitals), the man pages,
# the systemd units, the example configuration, and the directory the
# check modules will go to. GNUInstallDirs names the directories, so a
# Debian build (prefix /usr) gets lib/<multiarch>.
include(CMakePackageConfigHelpers)

set(VITALS_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/vitals)
# Check modules (shared objects loaded on demand) go here, one file per
# module: vitals_install_module(<target>) is all a module's CMake needs.
set(VITALS_MODULEDIR ${CMAKE_INSTALL_LIBDIR}/vitals/modules)
function(vitals_install_module target)
  set_target_properties(${target} PROPERTIES PREFIX "")
  install(TARGETS ${target} LIBRARY DESTINATION ${VITALS_MODULEDIR})
endfunction()

# Debian 12 keeps units under /lib/systemd/system (lintian warns about
# /usr/lib there); any other prefix gets them under its own lib/.
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  set(VITALS_UNITDIR_DEFAULT /lib/systemd/system)
else()
  set(VITALS_UNITDIR_DEFAULT lib/systemd/system)
endif()
set(VITALS_SYSTEMD_UNITDIR ${VITALS_UNITDIR_DEFAULT} CACHE STRING
    "Where the systemd units of vitalsd go")

# vitalsd in bin/, where contrib/systemd/vitalsd.service runs it from.
install(TARGETS vitalsd RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS vitals_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS vitals vitals_static EXPORT vitalsTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES include/vitals.h ${PROJECT_BINARY_DIR}/include/vitals_version.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

# pkg-config: libdir and includedir follow the prefix unless they were
# given as absolute paths.
foreach(dir LIBDIR INCLUDEDIR)
  if(IS_ABSOLUTE "${CMAKE_INSTALL_${dir}}")
    set(VITALS_PC_${dir} "${CMAKE_INSTALL_${dir}}")
  else()
    set(VITALS_PC_${dir} "\${prefix}/${CMAKE_INSTALL_${dir}}")
  endif()
endforeach()
configure_file(cmake/libvitals.pc.in libvitals.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/libvitals.pc
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

install(EXPORT vitalsTargets NAMESPACE vitals:: DESTINATION ${VITALS_CMAKEDIR})
configure_package_config_file(cmake/vitalsConfig.cmake.in vitalsConfig.cmake
                              INSTALL_DESTINATION ${VITALS_CMAKEDIR})
# 0.x: a new minor version may change the API (the SONAME says the ABI).
write_basic_package_version_file(vitalsConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/vitalsConfig.cmake
              ${PROJECT_BINARY_DIR}/vitalsConfigVersion.cmake
        DESTINATION ${VITALS_CMAKEDIR})

# Man pages: man/<name>.<section>.scd, turned into roff by scdoc at build
# time. Without scdoc the build goes on without them (VITALS_MAN=ON makes
# that an error, as the Debian build does).
option(VITALS_MAN "Require scdoc and build the man pages" OFF)
find_program(SCDOC scdoc)
file(GLOB VITALS_MAN_SOURCES CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/man/*.scd)
if(SCDOC)
  set(VITALS_MAN_PAGES)
  foreach(src ${VITALS_MAN_SOURCES})
    get_filename_component(page ${src} NAME_WLE) # vitals.yaml.5
    string(REGEX REPLACE "^.*\\.([0-9])$" "\\1" section ${page})
    set(out ${PROJECT_BINARY_DIR}/man/${page})
    add_custom_command(OUTPUT ${out}
      COMMAND ${CMAKE_COMMAND} -E make_directory ${PROJECT_BINARY_DIR}/man
      COMMAND ${SCDOC} < ${src} > ${out}
      DEPENDS ${src} VERBATIM)
    list(APPEND VITALS_MAN_PAGES ${out})
    install(FILES ${out} DESTINATION ${CMAKE_INSTALL_MANDIR}/man${section})
  endforeach()
  add_custom_target(man ALL DEPENDS ${VITALS_MAN_PAGES})
elseif(VITALS_MAN)
  message(FATAL_ERROR "VITALS_MAN=ON but scdoc is not installed (apt-get install scdoc)")
else()
  message(STATUS "scdoc not found: the man pages are not built")
endif()

# The systemd units, when contrib/systemd has them (a unit.in is configured
# first, for paths that follow the prefix: @VITALS_SBINDIR@ and friends).
set(VITALS_SBINDIR ${CMAKE_INSTALL_FULL_SBINDIR})
set(VITALS_BINDIR ${CMAKE_INSTALL_FULL_BINDIR})
set(VITALS_SYSCONFDIR ${CMAKE_INSTALL_FULL_SYSCONFDIR})
file(GLOB VITALS_UNITS CONFIGURE_DEPENDS
     ${PROJECT_SOURCE_DIR}/contrib/systemd/*.service
     ${PROJECT_SOURCE_DIR}/contrib/systemd/*.socket
     ${PROJECT_SOURCE_DIR}/contrib/systemd/*.service.in
     ${PROJECT_SOURCE_DIR}/contrib/systemd/*.socket.in)
foreach(unit ${VITALS_UNITS})
  get_filename_component(name ${unit} NAME)
  if(name MATCHES "\\.in$")
    string(REGEX REPLACE "\\.in$" "" name ${name})
    configure_file(${unit} ${PROJECT_BINARY_DIR}/systemd/${name} @ONLY)
    set(unit ${PROJECT_BINARY_DIR}/systemd/${name})
  endif()
  install(FILES ${unit} DESTINATION ${VITALS_SYSTEMD_UNITDIR})
endforeach()

# The user documentation (vitalsd.service's Documentation= names
# operations.md there), and the example configuration: as documentation
# always, and as
# SYSCONFDIR/vitals/vitals.yaml unless one is there already (make install
# never overwrites a configuration).
file(GLOB VITALS_DOCS CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/docs/*.md)
install(FILES ${VITALS_DOCS} DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES examples/vitals.yaml examples/all-checks.yaml
        DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)
set(VITALS_CONF ${CMAKE_INSTALL_FULL_SYSCONFDIR}/vitals/vitals.yaml)
install(CODE "
  if(NOT EXISTS \"\$ENV{DESTDIR}${VITALS_CONF}\")
    file(INSTALL \"${PROJECT_SOURCE_DIR}/examples/vitals.yaml\"
         DESTINATION \"${CMAKE_INSTALL_FULL_SYSCONFDIR}/vitals\")
  else()
    message(STATUS \"Kept: \$ENV{DESTDIR}${VITALS_CONF}\")
  endif()")
